import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { prng } from "./_lib.mjs";
import { record } from "./_text.mjs";

/** The SHA-256 of a record's JSON, in hex: content addressing, tens of microseconds per record. */
export function hashRecord(item) {
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(item))));
}

export const workload = {
  name: "sha256-records",
  summary:
    "@noble/hashes 2.4.0 SHA-256 of JSON records of about 700 characters, hex out, about 20 us each:" +
    " fine-grained work where each item is a small object",
  export: "hashRecord",
  fineGrained: true,
  meanItemUs: 20,
  count: { full: 50_000, quick: 1_000 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, (_, id) => record(random, id, 400 + Math.floor(random() * 400)));
  },
};

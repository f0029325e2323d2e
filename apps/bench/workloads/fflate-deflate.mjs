import { deflateSync } from "fflate";
import { prng } from "./_lib.mjs";

/** Compresses one binary buffer at zlib's default level: a large Uint8Array in, another out. */
export function deflateBuffer(bytes) {
  return deflateSync(bytes, { level: 6 });
}

const RECORD = 8;

/**
 * A telemetry log: 8-byte records of a counter timestamp, a random-walk
 * reading and a noisy status. Compresses to about half, as sensor logs do.
 */
export function telemetry(random, bytes) {
  const out = new Uint8Array(bytes - (bytes % RECORD));
  const view = new DataView(out.buffer);
  let level = 0;
  for (let i = 0; i < out.length; i += RECORD) {
    level += (random() - 0.5) * 20;
    view.setUint32(i, 1_700_000_000 + i / RECORD, true);
    view.setInt16(i + 4, Math.round(level), true);
    view.setUint16(i + 6, Math.floor(random() * 16), true);
  }
  return out;
}

export const workload = {
  name: "fflate-deflate",
  summary:
    "fflate 0.8.3 `deflateSync` (level 6) of 128-512 KiB binary telemetry logs to about half their" +
    " size: hundreds of KiB of Uint8Array in and out per item, about 40 ms each",
  export: "deflateBuffer",
  fineGrained: false,
  meanItemUs: 40_000,
  count: { full: 30, quick: 2 },
  quickScale: 0.5,
  generate(count, { seed, scale = 1 }) {
    const random = prng(seed);
    return Array.from({ length: count }, () =>
      telemetry(random, Math.round((128 + random() * 384) * 1024 * scale)),
    );
  },
};

// The secret shared by callers and worker hosts to sign chunk jobs (see signing.ts).
import { readFileSync } from "node:fs";

/** Shortest secret taken, bytes: 128 bits. */
export const MIN_SECRET_BYTES = 16;

/**
 * A secret from a file: its bytes without leading and trailing whitespace (so a key made by
 * `openssl rand -hex 32 > file` and one written by an editor read the same), at least 16 bytes.
 *
 * @throws {Error} the file cannot be read or holds too short a secret; the message says which.
 */
export function readSecretFile(path: string | URL): Uint8Array<ArrayBuffer> {
  const bytes = readFileSync(path);
  let start = 0;
  let end = bytes.length;
  const blank = (byte: number | undefined) =>
    byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
  while (start < end && blank(bytes[start])) start += 1;
  while (end > start && blank(bytes[end - 1])) end -= 1;
  const secret = bytes.subarray(start, end);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(
      `${String(path)} holds ${secret.length} byte(s) of secret; at least ${MIN_SECRET_BYTES} are needed (openssl rand -hex 32 > file)`,
    );
  }
  // A copy: its own ArrayBuffer, not a slice of Node's shared pool.
  return new Uint8Array(secret);
}

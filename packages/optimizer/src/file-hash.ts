// Content hashes of task modules, kept while the file is unchanged.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

/** A file's state when it was hashed: any write or replacement changes one of these. */
interface Hashed {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  hash: string;
}

/** Files whose hash is kept, most recently asked last; the oldest is dropped (and hashed again if asked). */
export const HASHES_KEPT = 1024;

const hashes = new Map<string, Hashed>();

/**
 * SHA-256 of the file at `path`, hex. Read and hashed again only when its inode, size or
 * times changed: a `stat` costs microseconds, and every call that decides asks for its
 * task module's hash (the plan cache, the module-cost cache and a session's versions each
 * key on it), where a bundled module of megabytes takes milliseconds to hash. Throws what
 * `stat` or the read throws.
 */
export function fileHash(path: string): string {
  const { ino, size, mtimeNs, ctimeNs } = statSync(path, { bigint: true });
  const seen = hashes.get(path);
  if (seen !== undefined) {
    hashes.delete(path);
    if (seen.ino === ino && seen.size === size && seen.mtimeNs === mtimeNs && seen.ctimeNs === ctimeNs) {
      hashes.set(path, seen);
      return seen.hash;
    }
  }
  const hash = createHash("sha256").update(readFileSync(path)).digest("hex");
  hashes.set(path, { ino, size, mtimeNs, ctimeNs, hash });
  if (hashes.size > HASHES_KEPT) hashes.delete(hashes.keys().next().value as string);
  return hash;
}

import { createHash } from "node:crypto";
import { mkdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedTask } from "@amorsize/executor";
import { type MachineKey, messageOf, type PlanCacheEntry, PlanCacheEntrySchema } from "@amorsize/types";
import writeFileAtomic from "write-file-atomic";
import { fileHash } from "./file-hash.js";
import { readJsonFile } from "./json-file.js";
import { unversionedKey } from "./module-version.js";

/** Power-of-two size bucket: 1000 and 1023 items share a plan, 1000 and 5000 do not. */
export function sizeBucket(totalItems: number | null): string {
  if (totalItems === null) return "stream";
  if (totalItems <= 1) return String(totalItems);
  return `2^${Math.ceil(Math.log2(totalItems))}`;
}

/** Content hash of the task module (see `fileHash`); null when the module is not a readable file. */
export async function moduleHash(task: ResolvedTask): Promise<string | null> {
  if (!task.href.startsWith("file:")) return null;
  try {
    return fileHash(fileURLToPath(task.href));
  } catch {
    return null;
  }
}

/** The plan cache's key of a task's module content and input size (the version a URL names left out: the hash says it). */
export function planCacheKey(task: ResolvedTask, hash: string, totalItems: number | null): string {
  return `${unversionedKey(task.key)}@${hash}/${sizeBucket(totalItems)}`;
}

/**
 * How the cached figures were measured, part of each entry's file name: an entry measured
 * another way is not found (a miss) and is measured again. 2: clone costs timed as a chunk
 * sends values (together), not one call per value. 3: a session's profile may hold a
 * probe's warm-up, read since as the module-cost cache's version 7 reads it (see
 * `MODULE_FIGURES`); an earlier one would stand for it where that cache misses.
 */
const FIGURES = 3;

/**
 * The file of a cache's entry under `key`: in `folder` of `dir`, named by the hash of `key`
 * and of how its figures were measured (`figures`), so that entries measured another way
 * are misses. The plan cache's and the module-cost cache's entries.
 */
export function cacheEntryPath(dir: string, folder: string, figures: number, key: string): string {
  const name = createHash("sha256").update(`${figures}/${key}`).digest("hex").slice(0, 32);
  return join(dir, folder, `${name}.json`);
}

/** The file of the plan cache's entry under `key` in `dir`. */
export function planCachePath(dir: string, key: string): string {
  return cacheEntryPath(dir, "plans", FIGURES, key);
}

export function sameMachine(a: MachineKey, b: MachineKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export type PlanCacheRead =
  | { status: "hit"; entry: PlanCacheEntry }
  | { status: "miss" | "stale" | "corrupt" | "foreign"; detail: string };

/** Reads a cached workload; anything unreadable, invalid or from another machine is a miss. */
export async function readPlanCache(
  dir: string,
  key: string,
  machineKey: MachineKey,
): Promise<PlanCacheRead> {
  const read = readJsonFile(planCachePath(dir, key), PlanCacheEntrySchema);
  if (read.status === "missing") return { status: "miss", detail: "no cached plan" };
  if (read.status === "notJson")
    return { status: "corrupt", detail: "the cached plan file is not valid JSON" };
  if (read.status === "invalid")
    return { status: "corrupt", detail: "the cached plan file does not match its schema" };
  const entry = read.value;
  if (entry.key !== key) return { status: "foreign", detail: "the cached plan belongs to another task" };
  if (!sameMachine(entry.machineKey, machineKey)) {
    return { status: "stale", detail: "the cached plan was made on another machine or runtime" };
  }
  return { status: "hit", entry };
}

/**
 * Writes a cache entry atomically (write-file-atomic: a temporary file synced to disk, then
 * renamed), so a reader, a second writer or a crash never leaves half a file. Returns an
 * error message instead of throwing.
 */
export async function writePlanCache(
  dir: string,
  key: string,
  machineKey: MachineKey,
  workload: PlanCacheEntry["workload"],
): Promise<string | null> {
  const target = planCachePath(dir, key);
  const entry: PlanCacheEntry = {
    version: 1,
    key,
    machineKey,
    createdAt: new Date().toISOString(),
    workload,
  };
  try {
    await mkdir(join(dir, "plans"), { recursive: true });
    await writeFileAtomic(target, `${JSON.stringify(entry)}\n`);
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

/**
 * Removes the plan cache's entry under `key` (its next reader samples again): `dropped`,
 * `absent` when it was not there (another process dropped or replaced it), or the error.
 */
export async function dropPlanCache(
  dir: string,
  key: string,
): Promise<"dropped" | "absent" | { error: string }> {
  try {
    await unlink(planCachePath(dir, key));
    return "dropped";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    return { error: messageOf(error) };
  }
}

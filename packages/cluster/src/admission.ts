// The checks a worker host makes on a chunk job before anything of it runs.
import { JobTooLargeError } from "./errors.js";
import { verifyJob } from "./signing.js";
import { type AllowList, admitModule } from "./trust.js";

/** Limits of one chunk job on a worker host. */
export interface JobLimits {
  /** Bytes of the job's data as stored in Redis (its JSON). */
  readonly maxJobBytes: number;
  /** Items in one job. */
  readonly maxJobItems: number;
}

/** What a host admits: its allow list, its limits, and its secret when jobs must be signed. */
export interface Admission {
  readonly allow: AllowList;
  readonly limits: JobLimits;
  readonly secret: Uint8Array | undefined;
}

/** A chunk job as the host received it. */
export interface ReceivedJob {
  readonly name: string;
  readonly id?: string | undefined;
  readonly data: unknown;
}

/**
 * Admits a chunk job and resolves with the URL of its task module to import, or rejects
 * with why not. Cheapest first: the stored size (one Redis lookup, read with the run's
 * cancel mark), the signature, the item count, then the module path.
 *
 * @throws {JobTooLargeError} over `maxJobBytes` or `maxJobItems`.
 * @throws {JobSignatureError} the host has a secret and the job is unsigned or altered.
 * @throws {TaskNotAllowedError} its task module is not under the allowed paths.
 */
export async function admitChunk(
  admission: Admission,
  job: ReceivedJob,
  storedBytes: number,
): Promise<string> {
  const { limits, secret, allow } = admission;
  if (storedBytes > limits.maxJobBytes) throw new JobTooLargeError("bytes", storedBytes, limits.maxJobBytes);
  if (secret) verifyJob(secret, job);
  const data = (typeof job.data === "object" && job.data !== null ? job.data : {}) as Record<string, unknown>;
  const items = Array.isArray(data.items) ? data.items.length : 0;
  if (items > limits.maxJobItems) throw new JobTooLargeError("items", items, limits.maxJobItems);
  return admitModule(allow, data.module);
}

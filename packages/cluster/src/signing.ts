// Jobs signed with a secret shared by the callers and the hosts: an HMAC-SHA256 over the
// job's name, id and data, so a host runs only jobs made by someone who holds the secret.
import { createHmac, timingSafeEqual } from "node:crypto";
import { type JobsOptions, Queue } from "bullmq";
import { JobSignatureError } from "./errors.js";
import { CHUNK_JOB } from "./protocol.js";

/** Field of a chunk job's data that holds its signature (hex); signed is everything else. */
export const SIGNATURE_FIELD = "signature";
/** Version of the signed text, so a later encoding cannot be confused with this one. */
const SIGNED_VERSION = 1;

/**
 * The text a job's signature covers: the JSON of `[version, name, id, data]`, `data`
 * without its signature. BullMQ carries `data` as `JSON.stringify(data)` and the host
 * reads it with `JSON.parse`, and `JSON.stringify(JSON.parse(JSON.stringify(x)))` is
 * `JSON.stringify(x)` for every value, so caller and host encode the same job to the
 * same text: key order is kept, numbers print their one shortest form, and what JSON
 * drops (undefined, functions) is dropped on both sides.
 */
export function signedText(job: { name: string; id: string; data: unknown }): string {
  return JSON.stringify([SIGNED_VERSION, job.name, job.id, job.data]);
}

function digest(secret: Uint8Array, job: { name: string; id: string; data: unknown }): Buffer {
  return createHmac("sha256", secret).update(signedText(job)).digest();
}

/** A copy of a chunk job (as `Queue.addBulk` takes it) with its signature added to its data. */
export function signJob<J extends { name: string; data: object; opts?: JobsOptions }>(
  secret: Uint8Array,
  job: J,
): J {
  const id = job.opts?.jobId;
  // Every chunk job has an id of its own (`<runId>-<chunk>`); a signature binds the job to it.
  if (typeof id !== "string") throw new TypeError("a signed job needs its own jobId");
  const signature = digest(secret, { name: job.name, id, data: job.data }).toString("hex");
  return { ...job, data: { ...job.data, [SIGNATURE_FIELD]: signature } };
}

/**
 * Checks a job's signature as a host reads the job, in constant time.
 *
 * @throws {JobSignatureError} no signature (`AMORSIZE_CLUSTER_JOB_UNSIGNED`) or one that
 *   does not match the job (`AMORSIZE_CLUSTER_BAD_SIGNATURE`): altered, or signed with another secret.
 */
export function verifyJob(
  secret: Uint8Array,
  job: { name: string; id?: string | undefined; data: unknown },
): void {
  const data = job.data;
  const given =
    typeof data === "object" && data !== null
      ? (data as Record<string, unknown>)[SIGNATURE_FIELD]
      : undefined;
  if (typeof given !== "string" || given.length === 0) throw new JobSignatureError("unsigned");
  const { [SIGNATURE_FIELD]: _signature, ...signed } = data as Record<string, unknown>;
  const expected = digest(secret, { name: job.name, id: job.id ?? "", data: signed });
  const actual = /^[0-9a-f]{64}$/.test(given) ? Buffer.from(given, "hex") : Buffer.alloc(0);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new JobSignatureError("mismatch");
  }
}

/**
 * A queue that signs every chunk job it adds, so whichever way a run adds its jobs, they
 * leave signed. Other jobs (the measurement's probes, which run no task) go as they are.
 */
export class SigningQueue extends Queue {
  constructor(
    name: string,
    options: ConstructorParameters<typeof Queue>[1],
    private readonly secret: Uint8Array,
  ) {
    super(name, options);
  }

  override addBulk(jobs: Parameters<Queue["addBulk"]>[0]): ReturnType<Queue["addBulk"]> {
    return super.addBulk(jobs.map((job) => (job.name === CHUNK_JOB ? signJob(this.secret, job) : job)));
  }

  override add(...[name, data, opts]: Parameters<Queue["add"]>): ReturnType<Queue["add"]> {
    if (name !== CHUNK_JOB) return super.add(name, data, opts);
    const signed = signJob(this.secret, { name, data: data as object, ...(opts ? { opts } : {}) });
    return super.add(name, signed.data, opts);
  }
}

import {
  AmorsizeValidationError,
  functionSchema,
  MAX_TIMER_MS,
  messageOf,
  type Progress,
  parseInput,
} from "@amorsize/types";
import { z } from "zod";
import { MIN_SECRET_BYTES, readSecretFile } from "./secret.js";

const redisUrl = z.string().regex(/^rediss?:\/\/.+/, "Expected a redis:// or rediss:// URL");

/** TLS to Redis: `true` for the system's CAs, or PEM texts of a private CA and a client certificate. */
export const RedisTlsSchema = z.union([
  z.boolean(),
  z
    .object({
      /** PEM of the CA that signed the server's certificate (default: the system's CAs). */
      ca: z.string().min(1).optional(),
      /** PEM of a client certificate, for servers that ask for one. */
      cert: z.string().min(1).optional(),
      /** PEM of the client certificate's key. */
      key: z.string().min(1).optional(),
      /** Name the server's certificate must carry (default: the host). */
      servername: z.string().min(1).optional(),
    })
    .strict(),
]);

/**
 * Where Redis is: a `redis://` / `rediss://` URL, or its parts. In the object form, `url`
 * gives what it holds and the other fields fill in the rest, so a password can come from
 * elsewhere than the URL (`{ url, password: process.env.AMORSIZE_REDIS_PASSWORD }`).
 */
export const ConnectionSchema = z.union([
  redisUrl,
  z
    .object({
      url: redisUrl.optional(),
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      db: z.number().int().nonnegative().optional(),
      /** TLS (a `rediss://` URL turns it on with the system's CAs). */
      tls: RedisTlsSchema.optional(),
    })
    .strict(),
]);

/** A shared secret for signing chunk jobs: text or bytes (its length is checked without echoing it). */
const secretSchema = z.union([z.string(), z.instanceof(Uint8Array)]);
const secretFileSchema = z.union([z.string().min(1), z.instanceof(URL)]);
export type Connection = z.input<typeof ConnectionSchema>;

const common = {
  /** Where Redis is. Required. */
  connection: ConnectionSchema,
  /** BullMQ queue the chunks go through. Default `"amorsize"`. */
  queueName: z.string().min(1).optional(),
  /** BullMQ key prefix. Default `"bull"`. */
  prefix: z.string().min(1).optional(),
  /**
   * Give up connecting after this long, milliseconds; also how long the end of a run and a
   * close wait for a Redis that holds its connections but answers nothing. Default 2000.
   */
  connectTimeoutMs: z.number().int().positive().max(600_000).optional(),
  /**
   * A dropped connection that has not come back after this long, or a PING unanswered this
   * long with the connection up, is lost, milliseconds. Default 3000.
   */
  lostAfterMs: z.number().int().positive().max(3_600_000).optional(),
};

/** Options of `cluster()`. */
export const ClusterOptionsSchema = z
  .object({
    ...common,
    /**
     * When no result has arrived for this long, look the run's outstanding jobs up in Redis
     * directly (a safety net under the event stream), milliseconds. Default 2000.
     */
    pollIntervalMs: z.number().int().positive().max(600_000).optional(),
    /**
     * At the end of a failed run, wait this long for chunks still running on hosts to finish
     * so their jobs can be removed, milliseconds. Default 10000.
     */
    cleanupTimeoutMs: z.number().int().nonnegative().max(600_000).optional(),
    /**
     * A run's caller keeps a key alive in Redis while the run lasts, with this expiry,
     * refreshed every third of it; a host skips the chunks of a run whose key is gone, so a
     * caller killed mid-run leaves nothing that runs later. Milliseconds, default 30000. A
     * caller whose event loop is blocked for longer has its remaining chunks skipped (they
     * fail as `ChunkFailedError`).
     */
    callerTimeoutMs: z.number().int().min(300).max(3_600_000).optional(),
    /**
     * Sign every chunk job with this secret (HMAC-SHA256), for hosts started with
     * `--secret-file` holding the same one. Not with `secretFile`.
     */
    secret: secretSchema.optional(),
    /** Read the signing secret from this file, as `amorsize-worker --secret-file` does. Not with `secret`. */
    secretFile: secretFileSchema.optional(),
  })
  .strict();
export type ClusterOptions = z.input<typeof ClusterOptionsSchema>;

/** Options of one run (`map()`). */
export const ClusterRunOptionsSchema = z
  .object({
    /** Items per job. Default `ceil(n / 64)`; `planCluster()` chooses one from measurements. */
    chunkSize: z.number().int().positive().optional(),
    /** `throw` (default): stop at the first failure. `collect`: finish every other item and report failures. */
    onError: z.enum(["throw", "collect"]).optional(),
    /** Results already known for some input indices: those items are not sent. */
    precomputed: z.instanceof(Map).optional(),
    /** Cancels the run: jobs not yet taken are removed, hosts skip its other chunks, and it rejects with `RunAbortedError`. */
    signal: z.instanceof(AbortSignal).optional(),
    /** Called after each chunk with items done (of `total`) and failed; a throw ends the run with that error. */
    onProgress: functionSchema<(progress: Progress) => void>("a progress callback").optional(),
  })
  .strict();
export type ClusterRunOptions = z.input<typeof ClusterRunOptionsSchema>;

/** Options of `stream()`. */
export const ClusterStreamOptionsSchema = ClusterRunOptionsSchema.omit({ precomputed: true })
  .extend({
    /**
     * Chunks between reading and yielding at most: queued, running on a host, or answered and
     * waiting for the consumer. Memory holds at most `maxInFlight x chunkSize` items and their
     * results. Default twice the live hosts' worker threads.
     */
    maxInFlight: z.number().int().positive().max(1_000_000).optional(),
  })
  .strict();
export type ClusterStreamOptions = z.input<typeof ClusterStreamOptionsSchema>;

/** Options of `startWorkerHost()`. */
export const WorkerHostOptionsSchema = z
  .object({
    ...common,
    /** Chunks run at once, one per worker thread. Default: the hardware probe's usable cores. */
    concurrency: z.number().int().positive().max(1024).optional(),
    /** BullMQ job lock, milliseconds: a host silent for this long has its chunks retried elsewhere. Default 30000. */
    lockDurationMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
    /** How often this host looks for stalled jobs of dead hosts, milliseconds. Default 30000. */
    stalledIntervalMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
    /** Times one chunk may be recovered from a dead host before it fails. Default 2. */
    maxStalledCount: z.number().int().nonnegative().max(1000).optional(),
    /**
     * Folders (any file below them) and files whose task modules this host runs, compared by
     * real path. Required: no default runs everything. `node:`, `data:` and `http(s):`
     * modules are never run.
     */
    allow: z.array(z.string().min(1)).min(1),
    /** Run only chunk jobs signed with this secret (`secret` of `cluster()`). Not with `secretFile`. */
    secret: secretSchema.optional(),
    /** Read the secret from this file (whitespace around it ignored). Not with `secret`. */
    secretFile: secretFileSchema.optional(),
    /** Refuse a chunk job whose data is larger than this, bytes. Default 16 MiB. */
    maxJobBytes: z.number().int().positive().optional(),
    /** Refuse a chunk job of more items than this. Default 100,000. */
    maxJobItems: z.number().int().positive().optional(),
  })
  .strict();
export type WorkerHostOptions = z.input<typeof WorkerHostOptionsSchema>;

/** Defaults of every option above. */
export const CLUSTER_DEFAULTS = {
  queueName: "amorsize",
  prefix: "bull",
  connectTimeoutMs: 2000,
  lostAfterMs: 3000,
  pollIntervalMs: 2000,
  cleanupTimeoutMs: 10_000,
  callerTimeoutMs: 30_000,
  chunksPerRun: 64,
  onError: "throw",
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
  // A chunk should take ~100 round trips (~200 ms), and items under ~2 us are best kept
  // local: 100,000 items of 2 us is that chunk. 16 MiB at the measured ~13 ns per byte is
  // ~220 ms of transfer alone. A chunk takes a few times its bytes of a host's memory (JSON,
  // parsed items, the copy sent to a worker thread): a few GiB for a 16-thread host.
  maxJobBytes: 16 * 1024 * 1024,
  maxJobItems: 100_000,
} as const;

/** `cluster()`'s options with the defaults filled in. */
export interface ClusterSettings {
  readonly connection: Connection;
  readonly queueName: string;
  readonly prefix: string;
  readonly connectTimeoutMs: number;
  readonly lostAfterMs: number;
  readonly pollIntervalMs: number;
  readonly cleanupTimeoutMs: number;
  readonly callerTimeoutMs: number;
  /** Chunk jobs are signed with this, when set. */
  readonly secret: Uint8Array | undefined;
}

/**
 * Validates `cluster()`'s options and fills in the defaults.
 *
 * @throws {AmorsizeValidationError} a bad option.
 */
export function resolveClusterOptions(options: ClusterOptions): ClusterSettings {
  const parsed = parseInput(ClusterOptionsSchema, options, "options");
  return {
    connection: parsed.connection,
    queueName: parsed.queueName ?? CLUSTER_DEFAULTS.queueName,
    prefix: parsed.prefix ?? CLUSTER_DEFAULTS.prefix,
    connectTimeoutMs: parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs,
    lostAfterMs: parsed.lostAfterMs ?? CLUSTER_DEFAULTS.lostAfterMs,
    pollIntervalMs: parsed.pollIntervalMs ?? CLUSTER_DEFAULTS.pollIntervalMs,
    cleanupTimeoutMs: parsed.cleanupTimeoutMs ?? CLUSTER_DEFAULTS.cleanupTimeoutMs,
    callerTimeoutMs: parsed.callerTimeoutMs ?? CLUSTER_DEFAULTS.callerTimeoutMs,
    secret: resolveSecret(parsed),
  };
}

/**
 * The secret of `secret` or `secretFile`, as bytes, or undefined for neither.
 *
 * @throws {AmorsizeValidationError} both given, or the file cannot be read or is too short.
 */
export function resolveSecret(options: {
  secret?: string | Uint8Array | undefined;
  secretFile?: string | URL | undefined;
}): Uint8Array | undefined {
  const { secret, secretFile } = options;
  if (secret !== undefined && secretFile !== undefined) {
    throw new AmorsizeValidationError(["options: Give secret or secretFile, not both"]);
  }
  if (secret !== undefined) {
    const bytes = typeof secret === "string" ? new Uint8Array(Buffer.from(secret)) : secret;
    // The secret's length only: an error message must not carry the secret.
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new AmorsizeValidationError([
        `options.secret: Expected at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`,
      ]);
    }
    return bytes;
  }
  if (secretFile === undefined) return undefined;
  try {
    return readSecretFile(secretFile);
  } catch (error) {
    throw new AmorsizeValidationError([`options.secretFile: ${messageOf(error)}`], { cause: error });
  }
}

// A worker host runs only what it trusts (issue 16, items 1 and 2): task modules under its
// --allow paths, jobs signed with its secret, jobs within its limits. Set up as the README
// says: a Redis with a password read from a file, a secret file, an allow list.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ItemError } from "@amorsize/executor";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type Job, Queue } from "bullmq";
import { CODEC, encodeAll } from "../src/codec.js";
import { CLUSTER_DEFAULTS, type ClusterOptions, executeOnCluster } from "../src/index.js";
import { runKey } from "../src/protocol.js";
import { type Child, FIXTURES, killAll, redisServerPath, startHost, startRedis, TASK } from "./helpers.js";

const binary = redisServerPath();
if (!binary) console.warn("NOTICE: redis-server not found: the worker host trust tests are skipped");
const suite = binary ? describe : describe.skip;
const square = { module: TASK, export: "square" };
const PASSWORD = "a-password-only-files-know";

type TestRedis = Awaited<ReturnType<typeof startRedis>>;

/** The host's answer to a job added by hand, once it has one (its data is not read back: it may be large). */
async function answer(queue: Queue, id: string): Promise<{ refused?: { code: string; message: string } }> {
  const client = await queue.client;
  for (;;) {
    const [finishedOn, value, failedReason] = await client.hmget(
      queue.toKey(id),
      "finishedOn",
      "returnvalue",
      "failedReason",
    );
    if (finishedOn) {
      if (failedReason) throw new Error(`job ${id} failed: ${failedReason}`);
      return JSON.parse(value ?? "null") as { refused?: { code: string; message: string } };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Marks a run live as its caller would (the run key hosts check before anything else): an
 * attacker who can write jobs into Redis can write this key too.
 */
async function liveRun(queue: Queue, runId: string): Promise<void> {
  await (await queue.client).set(runKey(CLUSTER_DEFAULTS.prefix, queue.name, runId), "1");
}

/** Causes' codes of a collected run's errors, one per failed item, with the items' indices. */
function refusals(errors: readonly Error[]): [number, string | undefined][] {
  return errors.map((e) => [(e as ItemError).index, ((e as ItemError).cause as { code?: string }).code]);
}

suite("a worker host runs only what it trusts", () => {
  let scratch: string;
  let redis: TestRedis;
  let key: string;
  let otherKey: string;
  let passwordFile: string;
  let tasks: string;
  let outside: string;
  let caller: (queueName: string) => ClusterOptions;
  let hosts: Child[];
  const queues: Queue[] = [];
  const queue = (name: string) => {
    // A short disconnect timeout: ioredis's default (2 s) would hold the suite open after it ends.
    const connection = { host: "127.0.0.1", port: redis.port, password: PASSWORD, disconnectTimeout: 200 };
    const q = new Queue(name, { connection });
    queues.push(q);
    return q;
  };

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "amorsize-host-trust-"));
    // The README's set-up: a secret and the Redis password in files only their owner reads.
    key = join(scratch, "amorsize.key");
    otherKey = join(scratch, "other.key");
    passwordFile = join(scratch, "redis.pass");
    writeFileSync(key, "4f1c0de5a1b2c3d4e5f60718293a4b5c\n", { mode: 0o600 });
    writeFileSync(otherKey, "00000000000000000000000000000000\n", { mode: 0o600 });
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    tasks = join(scratch, "tasks");
    outside = join(scratch, "outside");
    mkdirSync(tasks);
    mkdirSync(outside);
    const evil =
      "import { writeFileSync } from 'node:fs';\nexport function run(path) { writeFileSync(path, 'ran'); return 1; }\n";
    writeFileSync(join(outside, "evil.mjs"), evil);
    writeFileSync(join(tasks, "twice.mjs"), "export function twice(x) { return 2 * x; }\n");
    // Inside the allowed folder by name, outside it in truth.
    symlinkSync(join(outside, "evil.mjs"), join(tasks, "link.mjs"));
    redis = await startRedis(binary as string, PASSWORD);
    const url = `redis://127.0.0.1:${redis.port}`;
    caller = (queueName) => ({
      connection: { url, password: PASSWORD },
      queueName,
      chunkSize: 2,
      onError: "collect",
    });
    const withFile = ["--redis-password-file", passwordFile, "--concurrency", "1"];
    hosts = await Promise.all([
      // The README's safe host.
      startHost(url, ["--queue", "safe", "--allow", FIXTURES, "--secret-file", key, ...withFile]),
      // An allow list alone, the password from the environment.
      startHost(url, ["--queue", "open", "--allow", FIXTURES, "--allow", tasks, "--concurrency", "1"], {
        ...process.env,
        AMORSIZE_REDIS_PASSWORD: PASSWORD,
      }),
      startHost(url, ["--queue", "small", "--max-job-items", "3", "--max-job-bytes", "300", ...withFile]),
    ]);
  });

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    await killAll();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("says what it runs when it is ready", () => {
    expect(hosts[0]?.output()).toMatch(
      `; runs task modules under ${FIXTURES.replace(/\/$/, "")}, signed jobs only`,
    );
    expect(hosts[1]?.output()).toMatch(/, unsigned jobs too\n/);
  });

  it("refuses node:, data: and http(s): modules without importing them", async () => {
    const q = queue("open");
    const pwned = join(scratch, "pwned");
    const data =
      "data:text/javascript,import { writeFileSync } from 'node:fs'; export const f = (p) => writeFileSync(p, 'x');";
    const jobs = [
      { module: "node:child_process", export: "execSync", items: [`touch ${pwned}`] },
      { module: data, export: "f", items: [pwned] },
      { module: "http://127.0.0.1:9/evil.mjs", export: "f", items: [pwned] },
      { module: "https://127.0.0.1:9/evil.mjs", export: "f", items: [pwned] },
      { module: "/an/absolute/path/is/no/URL.mjs", export: "f", items: [pwned] },
    ];
    await liveRun(q, "attack");
    await q.addBulk(
      jobs.map((data, i) => ({
        name: "amorsize-chunk",
        data: { runId: "attack", chunk: i, ...data },
        opts: { jobId: `attack-${i}` },
      })),
    );
    const answers = await Promise.all(jobs.map((_, i) => answer(q, `attack-${i}`)));
    expect(answers.map((a) => a.refused?.code)).toEqual(
      new Array(jobs.length).fill("AMORSIZE_CLUSTER_TASK_NOT_ALLOWED"),
    );
    expect(answers[0]?.refused?.message).toBe(
      'Task module "node:child_process" is not allowed on this worker host: node: modules are never run; only files under --allow are',
    );
    expect(existsSync(pwned)).toBe(false);
  });

  it("refuses a module outside its paths, also through a symbolic link, as each item's error", async () => {
    const marker = join(scratch, "evil-ran");
    const outsideTask = { module: join(outside, "evil.mjs"), export: "run" };
    const linked = { module: join(tasks, "link.mjs"), export: "run" };
    for (const task of [outsideTask, linked]) {
      const { results, errors, report } = await executeOnCluster(
        task,
        [marker, marker, marker],
        caller("open"),
      );
      expect(results).toEqual([undefined, undefined, undefined]);
      expect(errors.every((e) => e instanceof ItemError)).toBe(true);
      expect(refusals(errors)).toEqual([0, 1, 2].map((i) => [i, "AMORSIZE_CLUSTER_TASK_NOT_ALLOWED"]));
      expect(report).toMatchObject({ succeeded: 0, failed: 3, missing: 0 });
    }
    const { errors } = await executeOnCluster(linked, [marker], caller("open"));
    expect((errors[0] as ItemError).cause).toMatchObject({
      name: "TaskNotAllowedError",
      message: expect.stringContaining(`(it resolves to ${join(outside, "evil.mjs")})`),
    });
    expect(existsSync(marker)).toBe(false);
    // What is under the allowed folder runs, by path or file URL.
    const twice = { module: pathToFileURL(join(tasks, "twice.mjs")).href, export: "twice" };
    expect((await executeOnCluster(twice, [1, 2, 3], caller("open"))).results).toEqual([2, 4, 6]);
  });

  it("runs jobs signed with its secret, and refuses unsigned, altered or foreign-signed ones", async () => {
    const signed = await executeOnCluster<number>(square, [1, 2, 3], { ...caller("safe"), secretFile: key });
    expect([signed.results, signed.errors]).toEqual([[1, 4, 9], []]);

    const unsigned = await executeOnCluster(square, [1, 2, 3], caller("safe"));
    expect(refusals(unsigned.errors)).toEqual([0, 1, 2].map((i) => [i, "AMORSIZE_CLUSTER_JOB_UNSIGNED"]));
    const foreign = await executeOnCluster(square, [1, 2, 3], { ...caller("safe"), secretFile: otherKey });
    expect(refusals(foreign.errors)).toEqual([0, 1, 2].map((i) => [i, "AMORSIZE_CLUSTER_BAD_SIGNATURE"]));

    // Someone with access to Redis changes a signed job's items before a host takes it.
    const q = queue("safe");
    await q.pause();
    const run = executeOnCluster<number>(square, [5, 6], { ...caller("safe"), secretFile: key });
    let waiting: Job[] = [];
    while (waiting.length === 0) waiting = await q.getJobs(["wait", "paused"]);
    const job = waiting[0] as Job;
    await job.updateData({ ...job.data, items: [7, 6] });
    await q.resume();
    const altered = await run;
    expect(altered.results).toEqual([undefined, undefined]);
    expect(refusals(altered.errors)).toEqual([
      [0, "AMORSIZE_CLUSTER_BAD_SIGNATURE"],
      [1, "AMORSIZE_CLUSTER_BAD_SIGNATURE"],
    ]);
  });

  it("refuses a job over its item or byte limit, and runs those within", async () => {
    const items = await executeOnCluster(square, [1, 2, 3, 4], { ...caller("small"), chunkSize: 4 });
    expect(refusals(items.errors)).toEqual([0, 1, 2, 3].map((i) => [i, "AMORSIZE_CLUSTER_JOB_TOO_LARGE"]));
    expect(items.errors[0]?.message).toBe(
      "Item 0 failed: The chunk job holds 4 items, over this worker host's limit of 3 (--max-job-items): use a smaller chunkSize",
    );
    const big = { x: 3, pad: "x".repeat(200) };
    const bytes = await executeOnCluster(square, [big, big], caller("small"));
    expect(refusals(bytes.errors)).toEqual([
      [0, "AMORSIZE_CLUSTER_JOB_TOO_LARGE"],
      [1, "AMORSIZE_CLUSTER_JOB_TOO_LARGE"],
    ]);
    expect(bytes.errors[0]?.message).toMatch(
      /holds \d+ bytes of data, over this worker host's limit of 300 \(--max-job-bytes\)/,
    );
    expect((await executeOnCluster(square, [1, 2, 3], { ...caller("small"), chunkSize: 3 })).results).toEqual(
      [1, 4, 9],
    );
  });

  it("refuses a job of 2,000,000 items under its default limits", async () => {
    const q = queue("open");
    const items = Array.from({ length: 2_000_000 }, (_, i) => i);
    await liveRun(q, "huge");
    // As the caller encodes a chunk: v8-serialised, base64 (11.4 MiB here, under the 16 MiB byte limit).
    const payload = encodeAll(items);
    await q.add(
      "amorsize-chunk",
      { runId: "huge", chunk: 0, module: pathToFileURL(TASK).href, export: "square", codec: CODEC, payload },
      { jobId: "huge-0" },
    );
    const { refused } = await answer(q, "huge-0");
    expect(refused).toMatchObject({
      code: "AMORSIZE_CLUSTER_JOB_TOO_LARGE",
      message: expect.stringContaining("holds 2000000 items, over this worker host's limit of 100000"),
    });
  });
});

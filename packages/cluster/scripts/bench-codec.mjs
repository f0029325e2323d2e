#!/usr/bin/env node
// Measures the codec of items and results (node:v8 serialize/deserialize, base64 in the
// job's JSON) against msgpackr with its structured-clone extensions (BullMQ's own copy)
// and against JSON (lossy, for reference): payload size and encode+decode time on
// realistic payloads, then what carrying the binary through Redis costs: base64 inside the
// job's JSON against a separate binary key. Usage: node scripts/bench-codec.mjs [--quick]
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { deserialize, serialize } from "node:v8";

const quick = process.argv.includes("--quick");
const require = createRequire(import.meta.url);
const { Packr } = createRequire(require.resolve("bullmq"))("msgpackr");
const { Redis } = require("ioredis");
const packr = new Packr({ structuredClone: true, moreTypes: true, mapsAsObjects: false });

// A fixed pseudo-random sequence, so every run measures the same payloads.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const word = (n) =>
  Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join("");

/** An AST-like tree of `n` nodes: nested objects of a few shapes. */
function tree(n) {
  if (n <= 1) return { type: "Identifier", name: word(6), start: Math.floor(rand() * 1e4), end: 0 };
  const left = Math.floor((n - 1) / 2);
  return {
    type: "BinaryExpression",
    operator: ["+", "*", "-"][Math.floor(rand() * 3)],
    start: Math.floor(rand() * 1e4),
    end: Math.floor(rand() * 1e4),
    left: tree(left),
    right: tree(n - 1 - left),
  };
}

const payloads = {
  "10,000 doubles": Array.from({ length: 10_000 }, () => rand() * 1e6),
  "10,000 small ints": Array.from({ length: 10_000 }, () => Math.floor(rand() * 1000)),
  "2,000 ASCII strings of 40": Array.from({ length: 2000 }, () => word(40)),
  "2,000 non-Latin strings": Array.from({ length: 2000 }, () => `${word(10)} wörld ✓ 日本語 ${word(10)}`),
  "1,000 records (Date, Map, BigInt, Float64Array)": Array.from({ length: 1000 }, (_, id) => ({
    id,
    name: word(12),
    created: new Date(1.7e12 + id * 1000),
    tags: [word(5), word(7)],
    scores: new Float64Array(Array.from({ length: 8 }, rand)),
    big: BigInt(id) ** 3n,
    meta: new Map([
      ["a", id],
      ["b", undefined],
    ]),
  })),
  "AST-like tree of 4,095 nodes": [tree(4095)],
  "Float64Array(100,000)": [new Float64Array(100_000).map(rand)],
};

const codecs = {
  "v8 (chosen)": { encode: (v) => serialize(v), decode: (b) => deserialize(b) },
  msgpackr: { encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) },
  "JSON (lossy)": {
    encode: (v) => Buffer.from(JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x))),
    decode: (b) => JSON.parse(b.toString()),
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function timeMs(fn, reps) {
  for (let i = 0; i < 3; i++) fn();
  const samples = [];
  for (let r = 0; r < (quick ? 5 : 15); r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - t0) / reps);
  }
  return median(samples);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log("| payload | codec | bytes | encode+decode | base64 in job JSON: bytes | + encode/decode |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const [name, value] of Object.entries(payloads)) {
  for (const [codec, { encode, decode }] of Object.entries(codecs)) {
    const bytes = encode(value);
    const reps = Math.max(1, Math.round(200_000 / bytes.length));
    const ms = timeMs(() => decode(encode(value)), reps);
    const inJob = JSON.stringify({ payload: bytes.toString("base64") });
    const b64 = timeMs(
      () => Buffer.from(JSON.parse(JSON.stringify({ p: bytes.toString("base64") })).p, "base64"),
      reps,
    );
    console.log(
      `| ${name} | ${codec} | ${kb(bytes.length)} | ${ms.toFixed(3)} ms | ${kb(inJob.length)} | ${b64.toFixed(3)} ms |`,
    );
  }
}

// Redis: one payload (the records) carried as base64 inside a JSON value (one key, as a job's
// data), against a separate binary key (raw bytes, but one more key per job to write and read).
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const port = await freePort();
const redis = spawn("redis-server", [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--save",
  "",
  "--appendonly",
  "no",
]);
process.on("exit", () => redis.kill("SIGKILL"));
await new Promise((resolve) => redis.stdout.on("data", (d) => /Ready to accept/.test(d) && resolve()));
const client = new Redis(port, "127.0.0.1");
const binary = serialize(payloads["1,000 records (Date, Map, BigInt, Float64Array)"]);
const rounds = quick ? 50 : 300;
const inJson = async () => {
  await client.hset("job", "data", JSON.stringify({ runId: "r", payload: binary.toString("base64") }));
  const data = JSON.parse(await client.hget("job", "data"));
  deserialize(Buffer.from(data.payload, "base64"));
};
const separate = async () => {
  await client.hset("job2", "data", JSON.stringify({ runId: "r" }));
  await client.set("job2:payload", binary);
  JSON.parse(await client.hget("job2", "data"));
  deserialize(await client.getBuffer("job2:payload"));
};
for (const [name, fn] of [
  ["base64 inside the job's JSON", inJson],
  ["separate binary key", separate],
]) {
  for (let i = 0; i < 10; i++) await fn();
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  console.log(
    `${name}: ${kb(binary.length)} records payload, write+read+decode median ${median(samples).toFixed(3)} ms`,
  );
}
client.disconnect();
redis.kill("SIGKILL");

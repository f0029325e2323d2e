// Prints what each given Node binary reports about this machine, through amorsize-probe's
// JSON, with no limit and inside a cgroup of 1.5 CPUs and 512 MiB (v1 for real where the
// host has v1 controllers, v2 emulated), plus a worker's heap limit under resourceLimits. .ci/run runs it for Node 20, 24 and 26; the hardware-probe
// README's "Node versions" section records what it found.
//
// The cgroup is emulated: in a private mount namespace a small cgroup v2 tree is mounted on
// /sys/fs/cgroup and the process's own /proc/<pid>/cgroup and mountinfo are replaced, so
// libuv (os.availableParallelism, process.constrainedMemory) and the probe read the same
// files they would read in a container. Both need root (and unshare(1)); a real cgroup v2
// is not available on the cgroup v1 CI host.
//
// Usage: node runtime-facts.mjs <node binary>...
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../../packages/hardware-probe/dist/cli.js", import.meta.url));
const MiB = 2 ** 20;

function cgroupV2Tree() {
  const root = mkdtempSync(join(tmpdir(), "amorsize-cgroup-v2-"));
  const group = join(root, "sys", "amorsize");
  mkdirSync(group, { recursive: true });
  writeFileSync(join(root, "sys", "cgroup.controllers"), "cpu memory\n");
  writeFileSync(join(group, "cgroup.controllers"), "cpu memory\n");
  writeFileSync(join(group, "cpu.max"), "150000 100000\n");
  writeFileSync(join(group, "memory.max"), `${512 * MiB}\n`);
  // libuv reads no limit at all from a group without memory.high (a real one always has it).
  writeFileSync(join(group, "memory.high"), "max\n");
  writeFileSync(join(group, "memory.current"), `${16 * MiB}\n`);
  writeFileSync(join(root, "cgroup"), "0::/amorsize\n");
  writeFileSync(join(root, "mountinfo"), "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n");
  return root;
}

// The inner shell binds the files over its own /proc/<pid> entries, then becomes node.
const EMULATE = [
  'mount --bind "$1/sys" /sys/fs/cgroup &&',
  'exec sh -c \'mount --bind "$1/cgroup" /proc/$$/cgroup && mount --bind "$1/mountinfo" /proc/$$/mountinfo &&',
  'exec "$2" "$3" --json\' sh "$1" "$2" "$3"',
].join(" ");

function parsed(ran) {
  return ran.status === 0 ? JSON.parse(ran.stdout) : null;
}

function probe(node) {
  return parsed(spawnSync(node, [cli, "--json"], { encoding: "utf8" }));
}

function probeInEmulatedV2(node, tree) {
  const args = ["-m", "--propagation", "private", "sh", "-c", EMULATE, "sh", tree, node, cli];
  return parsed(spawnSync("unshare", args, { encoding: "utf8" }));
}

/** In real cgroup v1 cpu and memory groups, made for the run and removed after it. */
function probeInV1(node) {
  const v1 = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory"];
  if (!v1.every((hierarchy) => existsSync(join(hierarchy, "cgroup.procs")))) return null;
  const [cpu, memory] = v1.map((hierarchy) => join(hierarchy, `amorsize-facts-${process.pid}`));
  try {
    mkdirSync(cpu);
    mkdirSync(memory);
    writeFileSync(join(cpu, "cpu.cfs_quota_us"), "150000");
    writeFileSync(join(memory, "memory.limit_in_bytes"), String(512 * MiB));
    const enter = `echo $$ > ${cpu}/cgroup.procs && echo $$ > ${memory}/cgroup.procs && exec "$0" "$1" --json`;
    return parsed(spawnSync("sh", ["-c", enter, node, cli], { encoding: "utf8" }));
  } catch {
    return null;
  } finally {
    for (const group of [cpu, memory]) if (existsSync(group)) rmdirSync(group);
  }
}

const WORKER = `
const { Worker } = require("node:worker_threads");
const code = 'require("node:worker_threads").parentPort.postMessage(require("node:v8").getHeapStatistics().heap_size_limit)';
const worker = new Worker(code, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } });
worker.once("message", (limit) => console.log(limit));`;

function workerHeapMiB(node) {
  const ran = spawnSync(node, ["-e", WORKER], { encoding: "utf8" });
  return ran.status === 0 ? `${Math.round(Number(ran.stdout) / MiB)} MiB` : "n/a";
}

function describe(profile) {
  if (!profile) return "n/a (needs root, unshare and, for v1, v1 controllers)";
  const { cores, memory } = profile;
  const constrained = memory.constrained.value === null ? "none" : `${memory.constrained.value / MiB} MiB`;
  return [
    `affinity ${cores.affinity.value} (${cores.affinity.source})`,
    `quota ${cores.quota.cpus ?? "none"}`,
    `usable ${cores.usable.value} (${cores.usable.source})`,
    `constrainedMemory ${constrained}`,
  ].join(", ");
}

const tree = cgroupV2Tree();
try {
  for (const node of process.argv.slice(2)) {
    const plain = probe(node);
    const runtime = plain?.runtime ?? {};
    console.log(`Node ${runtime.node ?? node} (libuv ${runtime.libuv ?? "?"})`);
    console.log(`  no limit:                        ${describe(plain)}`);
    console.log(`  cgroup v1, 1.5 CPUs, 512 MiB:    ${describe(probeInV1(node))}`);
    console.log(`  cgroup v2, 1.5 CPUs, 512 MiB:    ${describe(probeInEmulatedV2(node, tree))}`);
    console.log(`  worker heap limit with maxOldGenerationSizeMb 64: ${workerHeapMiB(node)}`);
  }
} finally {
  rmSync(tree, { recursive: true, force: true });
}

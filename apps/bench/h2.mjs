import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { spin } from "./workloads/_lib.mjs";
const own = readlinkSync("/proc/thread-self").split("/").pop();
const tids = readdirSync("/proc/self/task").filter((t) => t !== own);
const read = () => tids.map((t) => Number(readFileSync(`/proc/self/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e6);
for (let r = 0; r < 5; r++) {
  const a = read(); const t0 = performance.now(); spin(30_000_000, r); const wall = performance.now() - t0; const b = read();
  console.log("wall", wall.toFixed(1), "others ms per thread", b.map((x, i) => (x - a[i]).toFixed(2)).join(" "));
}

// Interim demo: until the optimizer lands, show what the machine offers according to node:os.
import os from "node:os";

console.log("Amorsize demo (interim): the machine as node:os sees it");
console.log(`  logical CPUs          ${os.cpus().length}`);
console.log(`  availableParallelism  ${os.availableParallelism()}`);
console.log(`  total memory          ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
console.log(`  node                  ${process.versions.node}`);

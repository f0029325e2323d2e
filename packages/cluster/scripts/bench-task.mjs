// The benchmark's task: a CPU-bound integer hash of `rounds` rounds.
export function hash(item) {
  let h = item.seed | 0;
  for (let i = 0; i < item.rounds; i++) h = Math.imul(h ^ (h >>> 15), 2246822519) + i;
  return h >>> 0;
}

const cell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Stands for an item computed on a machine of its own: waits `ms` without using a CPU
 * (Atomics.wait), so that hosts sharing one busy machine still run side by side.
 */
export function wait(item) {
  Atomics.wait(cell, 0, 0, item.ms);
  return item.seed * 2;
}

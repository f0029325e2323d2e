// The benchmark's task: a CPU-bound integer hash of `rounds` rounds.
export function hash(item) {
  let h = item.seed | 0;
  for (let i = 0; i < item.rounds; i++) h = Math.imul(h ^ (h >>> 15), 2246822519) + i;
  return h >>> 0;
}

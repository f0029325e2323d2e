// A trivial task for scripts/hot-paths.mjs: the serial loop's own cost dominates.
export function addOne(x) {
  return x + 1;
}

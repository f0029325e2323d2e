// The load others put on the machine: the 1-minute load average less this process's own
// recent CPU (all its threads, its worker pools too). The load average counts this process's
// runnable threads with everyone else's, so a process that has just run a parallel job reads
// its own work as a busy machine: the bench, after a minute of its own runs on 2 cores, read
// 1.8 per core and measured its spawn costs again (~600 ms inside a timed execute()), though
// no other process ran. Pure functions of plain data, and one clock reading.

/** A reading of this process's clocks, milliseconds: wall time since it started, and CPU time of all its threads. */
export interface CpuReading {
  wallMs: number;
  cpuMs: number;
}

/** Own CPU is averaged over at least this long: the span the 1-minute load average mostly weighs. */
export const OWN_LOAD_WINDOW_MS = 60_000;

/**
 * This process's own CPU, in cores, over at least the last `windowMs` (since it started when
 * it is younger): the CPU time from the newest earlier reading at least that old to `now`,
 * over the wall time between them. `earlier` holds readings in the order they were taken;
 * the process's start ({0, 0}) stands in when none is old enough. 0 when no time passed.
 */
export function ownCores(
  earlier: readonly CpuReading[],
  now: CpuReading,
  windowMs = OWN_LOAD_WINDOW_MS,
): number {
  const k = windowStart(earlier, now, windowMs);
  const from: CpuReading = k < 0 ? { wallMs: 0, cpuMs: 0 } : earlier[k]!;
  const wall = now.wallMs - from.wallMs;
  return wall > 0 ? Math.max(0, (now.cpuMs - from.cpuMs) / wall) : 0;
}

/** The load others put on the machine, per usable core: the load average less own cores, at least 0. */
export function othersLoadPerCore(loadAverage: number, own: number, usableCores: number): number {
  return Math.max(0, loadAverage - own) / Math.max(1, usableCores);
}

/**
 * Readings to keep after `now` was taken: the newest one at least `windowMs` before it (the
 * start of the next window) and every later one.
 */
export function keptReadings(
  earlier: readonly CpuReading[],
  now: CpuReading,
  windowMs = OWN_LOAD_WINDOW_MS,
): CpuReading[] {
  return [...earlier.slice(Math.max(0, windowStart(earlier, now, windowMs))), now];
}

/** The index of the newest reading at least `windowMs` before `now`, or -1 when none is that old. */
function windowStart(earlier: readonly CpuReading[], now: CpuReading, windowMs: number): number {
  let start = -1;
  earlier.forEach((reading, k) => {
    if (now.wallMs - reading.wallMs >= windowMs) start = k;
  });
  return start;
}

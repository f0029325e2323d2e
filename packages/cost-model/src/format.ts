// Locale-independent number formatting for reasons and explain(): the same plan
// must read the same on every machine.

/** A duration given in milliseconds: `850 us`, `3.25 ms`, `41.3 ms`, `2500 ms`, `12.50 s`. */
export function formatMs(ms: number): string {
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${trim((ms * 1000).toPrecision(3))} us`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A byte count: `900 B`, `97.7 KiB`, `10.0 MiB`, `1.86 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ${units[unit]}`;
}

/** A ratio as a factor: `1.98x`. */
export function formatFactor(x: number): string {
  return `${x.toFixed(2)}x`;
}

/** A share as a percentage: `2.7%`. */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A count with its noun, plural when not 1: `1 worker`, `3 workers`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A plain number without trailing zeros: `1.5`, `2`. */
export function formatNumber(x: number, digits = 2): string {
  return trim(x.toFixed(digits));
}

function trim(text: string): string {
  return text.includes(".") && !text.includes("e") ? text.replace(/\.?0+$/, "") : text;
}

// A rough size of values as structured clone copies them, for adaptive chunking to hold
// chunks to a byte budget. Serializing a sample to measure it would copy it once more;
// this looks at a bounded number of values instead, whatever their size.

/** Children of one array, object, Map or Set looked at; the rest are taken to be alike. */
const SAMPLE = 8;
/** Nesting looked into; deeper values count as {@link DEEP} bytes each. */
const MAX_DEPTH = 3;
const DEEP = 16;

function sampled(count: number, sizeAt: (i: number) => number): number {
  if (count === 0) return 0;
  const n = Math.min(count, SAMPLE);
  let sum = 0;
  for (let s = 0; s < n; s++) sum += sizeAt(Math.floor((s * count) / n));
  return (sum / n) * count;
}

function objectBytes(value: object, depth: number): number {
  if (ArrayBuffer.isView(value)) return 16 + value.byteLength;
  if (value instanceof ArrayBuffer) return 8 + value.byteLength;
  if (Array.isArray(value)) return 8 + sampled(value.length, (i) => bytesAt(value[i], depth + 1));
  if (value instanceof Map || value instanceof Set) {
    const entries = [...value.entries()];
    return 8 + sampled(entries.length, (i) => bytesAt(entries[i], depth + 1));
  }
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 8 + value.source.length;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return 8 + sampled(keys.length, (i) => 4 + keys[i]!.length + bytesAt(record[keys[i]!], depth + 1));
}

function bytesAt(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
      return 4 + value.length;
    case "number":
      return 9;
    case "bigint":
      return 9 + Math.ceil(value.toString(16).length / 2);
    case "object":
      if (value === null) return 1;
      return depth >= MAX_DEPTH ? DEEP : objectBytes(value, depth);
    default:
      // booleans, undefined; functions and symbols cannot be cloned at all.
      return 1;
  }
}

/**
 * About how many bytes structured clone makes of `value`: strings by length, buffers and
 * typed arrays by byte length, containers from at most 8 of their children (evenly
 * spaced) down to 3 levels. Pure, and its cost does not grow with the value.
 */
export function estimateBytes(value: unknown): number {
  return bytesAt(value, 0);
}

/** Mean estimated size of the first, middle and last of `values`; 0 when there are none. */
export function bytesPerValue(values: readonly unknown[]): number {
  const n = values.length;
  if (n === 0) return 0;
  if (n === 1) return estimateBytes(values[0]);
  return (estimateBytes(values[0]) + estimateBytes(values[n >> 1]) + estimateBytes(values[n - 1])) / 3;
}

/**
 * A deterministic fingerprint of a run's results, so that every strategy is
 * checked against the serial loop: a fast wrong answer must not count. It folds
 * numbers, strings, arrays, typed arrays and plain objects (keys sorted).
 */
export function checksum(value: unknown): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  const mixNumber = (n: number) => {
    // Hash the float's bits, so 1 and 1.0000001 differ.
    view.setFloat64(0, n);
    for (let i = 0; i < 2; i++) {
      const word = view.getUint32(i * 4);
      h1 = Math.imul(h1 ^ word, 0x01000193);
      h2 = Math.imul(h2 ^ word, 0x85ebca6b) + 0x2a;
    }
  };
  const mixString = (s: string) => {
    mixNumber(s.length);
    for (let i = 0; i < s.length; i++) mixNumber(s.charCodeAt(i));
  };
  const view = new DataView(new ArrayBuffer(8));
  const visit = (v: unknown): void => {
    if (typeof v === "number") {
      mixNumber(1);
      mixNumber(v);
    } else if (typeof v === "string") {
      mixNumber(2);
      mixString(v);
    } else if (typeof v === "boolean") {
      mixNumber(v ? 3 : 4);
    } else if (v === null || v === undefined) {
      mixNumber(v === null ? 5 : 6);
    } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      mixNumber(7);
      const arr = v as unknown as ArrayLike<number>;
      mixNumber(arr.length);
      for (let i = 0; i < arr.length; i++) mixNumber(Number(arr[i]));
    } else if (Array.isArray(v)) {
      mixNumber(8);
      mixNumber(v.length);
      for (const x of v) visit(x);
    } else if (typeof v === "object") {
      mixNumber(9);
      const keys = Object.keys(v as object).sort();
      mixNumber(keys.length);
      for (const k of keys) {
        mixString(k);
        visit((v as Record<string, unknown>)[k]);
      }
    } else {
      mixNumber(10);
      mixString(String(v));
    }
  };
  visit(value);
  return `${(h1 >>> 0).toString(16).padStart(8, "0")}${(h2 >>> 0).toString(16).padStart(8, "0")}`;
}

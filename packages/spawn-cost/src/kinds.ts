import type { PayloadKind } from "@amorsize/types";

/** How a payload kind's items vary, which is all its clone fit needs to know. */
export interface CloneShape {
  kind: PayloadKind;
  /** Item sizes (elements, fields or characters); one size means the serialised size cannot vary. */
  sizes: readonly number[];
  /** Whether the items' buffers are transferred rather than copied. */
  transfer: boolean;
}

/** How a clone chunk's items are made for one payload kind. */
export interface KindSpec extends CloneShape {
  make: (size: number, index: number) => unknown;
}

/** The payload kinds measured, in the order they are measured and reported. */
export const KIND_SPECS: readonly KindSpec[] = [
  // Distinct doubles: small integers serialise shorter than the doubles real data holds.
  { kind: "number", sizes: [1], make: (_, i) => i + 0.5, transfer: false },
  {
    kind: "plain-array",
    sizes: [4, 64],
    make: (size, i) => Array.from({ length: size }, (_, j) => i + j + 0.5),
    transfer: false,
  },
  {
    kind: "object",
    sizes: [2, 16],
    make: (size, i) => {
      const item: Record<string, number | string> = {};
      for (let j = 0; j < size; j++) item[`f${j}`] = j % 2 === 0 ? i + j + 0.5 : `v${j}`;
      return item;
    },
    transfer: false,
  },
  {
    kind: "string",
    sizes: [16, 4096],
    make: (size, i) => String.fromCharCode(97 + (i % 26)).repeat(size),
    transfer: false,
  },
  {
    kind: "typed-array",
    sizes: [4, 2048],
    make: (size, i) => new Float64Array(size).fill(i),
    transfer: false,
  },
  {
    kind: "typed-array-transfer",
    sizes: [4, 2048],
    make: (size, i) => new Float64Array(size).fill(i),
    transfer: true,
  },
];

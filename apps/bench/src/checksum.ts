/**
 * A deterministic fingerprint of a run's results, so that every strategy is
 * checked against the serial loop: a fast wrong answer must not count.
 *
 * It covers what a task can send back through structured clone: numbers
 * (by their bits, so 1 and 1.0000001 differ), strings, booleans, null and
 * undefined, bigints, arrays, plain objects and class instances (own
 * enumerable keys, in any order), typed arrays, DataViews and ArrayBuffers (by
 * their bytes and their kind), Maps and Sets (in order), Dates, RegExps, and
 * cycles (a reference back to an ancestor hashes as its distance). An object
 * reached twice without a cycle is hashed twice: a clone per chunk shares less
 * than the serial loop's results may, and must still match.
 */
export function checksum(value: unknown): string {
  const hasher = new Hasher();
  hasher.visit(value);
  return hasher.digest();
}

const TAG = {
  int: 1,
  float: 2,
  nan: 3,
  string: 4,
  true: 5,
  false: 6,
  null: 7,
  undefined: 8,
  bigint: 9,
  array: 10,
  object: 11,
  bytes: 12,
  map: 13,
  set: 14,
  date: 15,
  regexp: 16,
  cycle: 17,
  other: 18,
} as const;

// Bound once: under Jest every `Math.imul` lookup goes through the vm context's global
// (jestjs/jest#5163), and the tests hash results of hundreds of thousands of words.
const imul = Math.imul;

const SEED1 = 0x811c9dc5;
const SEED2 = 0x9e3779b9;

/** Two independent murmur3-style lanes: 64 bits of state, every input bit reaching every output bit. */
class Hasher {
  private h1 = SEED1;
  private h2 = SEED2;
  private readonly float = new DataView(new ArrayBuffer(8));
  /** The objects on the path from the root to the one being visited, with their depth. */
  private readonly path = new Map<object, number>();

  word(w: number): void {
    let k = imul(w, 0xcc9e2d51);
    k = imul((k << 15) | (k >>> 17), 0x1b873593);
    let h = this.h1 ^ k;
    h = (h << 13) | (h >>> 19);
    this.h1 = (imul(h, 5) + 0xe6546b64) | 0;
    let j = imul(w ^ 0x5bd1e995, 0x85ebca6b);
    j = imul((j << 16) | (j >>> 16), 0xc2b2ae35);
    let g = this.h2 ^ j;
    g = (g << 17) | (g >>> 15);
    this.h2 = (imul(g, 9) + 0x38b34ae5) | 0;
  }

  number(n: number): void {
    if ((n | 0) === n && !Object.is(n, -0)) {
      this.word(TAG.int);
      this.word(n);
    } else if (Number.isNaN(n)) {
      this.word(TAG.nan);
    } else {
      this.word(TAG.float);
      this.float.setFloat64(0, n);
      this.word(this.float.getInt32(0));
      this.word(this.float.getInt32(4));
    }
  }

  string(s: string): void {
    this.word(s.length);
    const even = s.length & ~1;
    for (let i = 0; i < even; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (even < s.length) this.word(s.charCodeAt(even));
  }

  bytes(kind: string, buffer: ArrayBufferLike, offset: number, length: number): void {
    this.word(TAG.bytes);
    this.string(kind);
    this.word(length);
    const data = new DataView(buffer, offset, length);
    const whole = length & ~3;
    for (let i = 0; i < whole; i += 4) this.word(data.getInt32(i, true));
    for (let i = whole; i < length; i++) this.word(data.getUint8(i));
  }

  visit(v: unknown): void {
    if (typeof v === "number") this.number(v);
    else if (typeof v === "string") {
      this.word(TAG.string);
      this.string(v);
    } else if (typeof v === "boolean") this.word(v ? TAG.true : TAG.false);
    else if (v === undefined) this.word(TAG.undefined);
    else if (v === null) this.word(TAG.null);
    else if (typeof v === "bigint") {
      this.word(TAG.bigint);
      this.string(v.toString(16));
    } else if (typeof v === "object") this.object(v);
    else {
      this.word(TAG.other);
      this.string(String(v));
    }
  }

  private object(v: object): void {
    const depth = this.path.size;
    const ancestor = this.path.get(v);
    if (ancestor !== undefined) {
      this.word(TAG.cycle);
      this.word(depth - ancestor);
      return;
    }
    this.path.set(v, depth);
    try {
      this.contents(v);
    } finally {
      this.path.delete(v);
    }
  }

  // Kinds by their tag, not instanceof: results cloned into another realm (Jest's vm) still match.
  private contents(v: object): void {
    if (Array.isArray(v)) {
      this.word(TAG.array);
      this.word(v.length);
      for (let i = 0; i < v.length; i++) this.visit(v[i]);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      this.bytes(Object.prototype.toString.call(v), v.buffer, v.byteOffset, v.byteLength);
      return;
    }
    const kind = Object.prototype.toString.call(v);
    if (kind === "[object ArrayBuffer]" || kind === "[object SharedArrayBuffer]") {
      this.bytes(kind, v as ArrayBufferLike, 0, (v as ArrayBufferLike).byteLength);
    } else if (kind === "[object Map]") {
      this.word(TAG.map);
      this.word((v as Map<unknown, unknown>).size);
      for (const [key, value] of v as Map<unknown, unknown>) {
        this.visit(key);
        this.visit(value);
      }
    } else if (kind === "[object Set]") {
      this.word(TAG.set);
      this.word((v as Set<unknown>).size);
      for (const item of v as Set<unknown>) this.visit(item);
    } else if (kind === "[object Date]") {
      this.word(TAG.date);
      this.number((v as Date).getTime());
    } else if (kind === "[object RegExp]") {
      this.word(TAG.regexp);
      this.string(`${(v as RegExp).source}/${(v as RegExp).flags}`);
    } else {
      this.properties(v as Record<string, unknown>);
    }
  }

  /**
   * Each key-value pair is hashed on its own and the pair hashes are added up:
   * the sum does not depend on the key order, and sorting the keys of every
   * node of a large syntax tree cost more than the rest of the checksum.
   */
  private properties(v: Record<string, unknown>): void {
    const keys = Object.keys(v);
    const outer1 = this.h1;
    const outer2 = this.h2;
    let sum1 = 0;
    let sum2 = 0;
    for (const key of keys) {
      this.h1 = SEED1;
      this.h2 = SEED2;
      this.string(key);
      this.visit(v[key]);
      sum1 = (sum1 + this.h1) | 0;
      sum2 = (sum2 + this.h2) | 0;
    }
    this.h1 = outer1;
    this.h2 = outer2;
    this.word(TAG.object);
    this.word(keys.length);
    this.word(sum1);
    this.word(sum2);
  }

  digest(): string {
    const hex = (h: number) => (h >>> 0).toString(16).padStart(8, "0");
    return `${hex(this.h1)}${hex(this.h2)}`;
  }
}

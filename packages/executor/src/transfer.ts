/**
 * Adds `value`'s buffer to `into` when it is an ArrayBuffer, or a typed array / DataView
 * that spans its whole buffer. A view over part of a buffer is left to be copied: moving
 * its buffer would detach memory the caller never handed over (Node's small `Buffer`s
 * share one pooled slab, for instance). Returns whether `value` was a buffer or a view.
 */
function addBuffer(value: object, into: Set<ArrayBuffer>): boolean {
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (isArrayBuffer(buffer) && value.byteOffset === 0 && value.byteLength === buffer.byteLength) {
      into.add(buffer);
    }
    return true;
  }
  if (isArrayBuffer(value)) {
    into.add(value);
    return true;
  }
  return false;
}

/** An ArrayBuffer of any realm, and not a SharedArrayBuffer (shared memory is never moved). */
function isArrayBuffer(value: object): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

function addNested(value: unknown, into: Set<ArrayBuffer>): void {
  if (value !== null && typeof value === "object") addBuffer(value, into);
}

/**
 * Collects the ArrayBuffers to move with `values`: each value that is a buffer or a
 * whole-buffer view, and those found one level down, in an array's elements or an
 * object's own enumerable properties. Returns null when there are none.
 */
export function collectTransferables(values: readonly unknown[]): ArrayBuffer[] | null {
  let found: Set<ArrayBuffer> | null = null;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || typeof value !== "object") continue;
    found ??= new Set();
    if (addBuffer(value, found)) continue;
    if (Array.isArray(value)) {
      for (let j = 0; j < value.length; j++) addNested(value[j], found);
    } else {
      for (const key of Object.keys(value)) addNested((value as Record<string, unknown>)[key], found);
    }
  }
  return found === null || found.size === 0 ? null : [...found];
}

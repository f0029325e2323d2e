// Values that cross to a worker as something else: structured clone keeps the data of a
// class instance but not its class. A worker given a Buffer gets a Uint8Array (whose
// toString() lists the bytes), one given a Point gets a plain object without its methods.
import { CloneError } from "@amorsize/executor";

/**
 * Classes whose instances structured clone rebuilds as themselves (by the constructor's
 * name, so that values from another realm, a vm context, read the same): plain objects and
 * arrays, the built-ins the algorithm knows, and the Node classes it clones as themselves.
 */
const KEPT = new Set([
  "Object",
  "Array",
  "Date",
  "RegExp",
  "Map",
  "Set",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
  "Boolean",
  "Number",
  "String",
  "BigInt",
  "Blob",
  "File",
  "BlockList",
  "SocketAddress",
  "X509Certificate",
  "CryptoKey",
  "SecretKeyObject",
  "PublicKeyObject",
  "PrivateKeyObject",
]);

/** Objects looked into per value at most: a value's class is read from its first objects, not all of them. */
export const CLASS_CHECK_BUDGET = 64;
/** Elements looked at per array, Map or Set (the first ones): its elements are mostly alike. */
const PER_COLLECTION = 8;

/**
 * The name of the first class in `value` (itself, or an object within it, breadth first,
 * {@link CLASS_CHECK_BUDGET} objects at most) whose instances structured clone does not
 * rebuild as that class, or null when none is seen. Pure.
 */
export function lostClassOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  try {
    return firstLostClass(value);
  } catch {
    // A getter or a proxy that throws when read again: no finding (the clone itself read it).
    return null;
  }
}

function firstLostClass(value: object): string | null {
  const queue: object[] = [value];
  const seen = new Set<object>();
  for (let k = 0; k < queue.length && seen.size < CLASS_CHECK_BUDGET; k++) {
    const object = queue[k]!;
    if (seen.has(object)) continue;
    seen.add(object);
    const lost = lostBehaviourOf(object);
    if (lost !== null) return lost;
    for (const child of childrenOf(object)) {
      if (typeof child === "object" && child !== null) queue.push(child);
    }
  }
  return null;
}

/**
 * The name of the first class on `object`'s prototype chain whose prototype gives it
 * something a clone loses (methods, getters, inherited values), up to the first built-in
 * a clone rebuilds; null when none does. A class that only holds data (a parser's AST
 * `Node`, whose prototype has its constructor alone) crosses as a plain object with the
 * same fields, and is no loss. Names are read from each prototype's own `constructor`: an
 * object made from another object (`Object.create`) inherits a name that is not its own.
 */
function lostBehaviourOf(object: object): string | null {
  for (let proto = Object.getPrototypeOf(object) as object | null; proto !== null; ) {
    const own = Object.hasOwn(proto, "constructor")
      ? (proto as { constructor?: { name?: unknown } }).constructor
      : undefined;
    const name = typeof own?.name === "string" ? own.name : "";
    if (KEPT.has(name)) return null;
    const keys = Reflect.ownKeys(proto);
    if (keys.some((key) => key !== "constructor"))
      return name === "" ? "an object with a prototype of its own" : name;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return null;
}

/** What structured clone copies of an object, as far as the check looks. */
function childrenOf(object: object): unknown[] {
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return [];
  if (Array.isArray(object)) return object.slice(0, PER_COLLECTION);
  if (object instanceof Map) {
    const children: unknown[] = [];
    for (const [key, value] of object) {
      if (children.length >= 2 * PER_COLLECTION) break;
      children.push(key, value);
    }
    return children;
  }
  if (object instanceof Set) return [...take(object.values(), PER_COLLECTION)];
  const keys = Object.keys(object);
  return keys.slice(0, CLASS_CHECK_BUDGET).map((key) => (object as Record<string, unknown>)[key]);
}

function* take<T>(values: Iterator<T>, n: number): Generator<T> {
  for (let k = 0; k < n; k++) {
    const next = values.next();
    if (next.done) return;
    yield next.value;
  }
}

/** CloneErrors of values that would cross as another class (see {@link classLossError}). */
const classLosses = new WeakSet<CloneError>();

/**
 * The CloneError of an item, or a result, that structured clone would deliver without its
 * class: a worker run could not give what this thread gives, so the call keeps it here
 * (see `unsendablePlan`), as for values that cannot be cloned at all.
 */
export function classLossError(what: "item" | "result", index: number, className: string): CloneError {
  const code = what === "item" ? "AMORSIZE_ITEM_NOT_CLONEABLE" : "AMORSIZE_RESULT_NOT_CLONEABLE";
  const seen = className.startsWith("an object") ? className : `an instance of ${className}`;
  const verb = what === "item" ? "receive" : "send back";
  const crossing =
    className === "Buffer"
      ? `a worker would ${verb} a Uint8Array within it, without Buffer's methods (its toString() lists the bytes)`
      : `a worker would ${verb} a plain copy, without ${className.startsWith("an object") ? "that prototype" : `${className}'s prototype and methods`}`;
  const reason = `it is, or holds, ${seen}, and ${crossing}`;
  const error = new CloneError(code, index, [index, index], reason);
  classLosses.add(error);
  return error;
}

/** Whether `error` is one {@link classLossError} made: the value can be cloned, as another class. */
export function isClassLoss(error: CloneError): boolean {
  return classLosses.has(error);
}

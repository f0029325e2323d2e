/**
 * Worker entry of the joblib-style baseline: runs one batch of items through the
 * task, one after another (as joblib's `BatchedCalls` does), in this worker.
 */

/** What the joblib baseline sends to a worker. */
export interface BatchMessage {
  module: string;
  export: string;
  items: unknown[];
}

type TaskFn = (item: unknown) => unknown;

const loaded = new Map<string, Promise<TaskFn>>();

function load(module: string, name: string): Promise<TaskFn> {
  const key = `${module}#${name}`;
  let fn = loaded.get(key);
  if (!fn) {
    fn = import(module).then((mod: Record<string, unknown>) => {
      const f = mod[name];
      if (typeof f !== "function") throw new TypeError(`${module} has no function export "${name}"`);
      return f as TaskFn;
    });
    loaded.set(key, fn);
  }
  return fn;
}

/** Runs a batch and returns its results in order. */
export default async function runBatch(message: BatchMessage): Promise<unknown[]> {
  const fn = await load(message.module, message.export);
  const out = new Array<unknown>(message.items.length);
  for (let i = 0; i < message.items.length; i++) {
    const r = fn(message.items[i]);
    out[i] = r instanceof Promise ? await r : r;
  }
  return out;
}

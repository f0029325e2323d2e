import { fileURLToPath } from "node:url";

/** Options an item generator receives. */
export interface GenerateOptions {
  /** PRNG seed for workloads whose items vary. */
  seed: number;
  /** Iterations of the hash loop per microsecond, calibrated on this machine. */
  itersPerUs: number;
  /** Multiplier on the per-item cost (the quick run lightens some workloads). */
  scale?: number;
}

/** What each workload module exports as `workload`, next to its task function. */
export interface WorkloadDescriptor {
  name: string;
  summary: string;
  /** Name of the task function the module exports. */
  export: string;
  /** Items well under the ~50 us a task dispatch costs, where one task per item is hopeless. */
  fineGrained: boolean;
  /** Intended mean time of one item, microseconds (at scale 1). */
  meanItemUs: number;
  count: { full: number; quick: number };
  /** Cost multiplier used by the quick run. */
  quickScale: number;
  generate(count: number, options: GenerateOptions): unknown[];
}

/** A workload module, loaded and checked. */
export interface Workload {
  descriptor: WorkloadDescriptor;
  /** Absolute path of the task module (what the executor and tinypool load). */
  modulePath: string;
  moduleUrl: string;
  /** The task function, imported in this thread for the serial loop. */
  fn: (item: unknown) => unknown;
}

/** Every workload, in the order the benchmark runs and reports them. */
export const WORKLOAD_NAMES = [
  "trivial",
  "light",
  "medium",
  "heavy-uniform",
  "heavy-skewed",
  "few-very-heavy",
  "payload-array",
  "payload-typed",
  "growing",
  "io-bound",
  "terser-minify",
  "acorn-parse",
  "fflate-deflate",
  "marked-render",
  "hljs-highlight",
  "sha256-records",
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** The folder of the workload modules; the same relative path from `src/` (Jest) and `dist/`. */
export const WORKLOADS_DIR = new URL("../workloads/", import.meta.url);

function fail(name: string, what: string): never {
  throw new Error(`Workload module ${name}.mjs: ${what}`);
}

/** Checks a workload module's exports, so a broken module fails loudly before any timing. */
export function checkWorkloadModule(name: string, mod: Record<string, unknown>): WorkloadDescriptor {
  const d = mod.workload as Partial<WorkloadDescriptor> | undefined;
  if (d === null || typeof d !== "object") fail(name, "exports no `workload` descriptor");
  if (d.name !== name) fail(name, `descriptor name is ${JSON.stringify(d.name)}, expected "${name}"`);
  if (typeof d.summary !== "string" || d.summary.length === 0) fail(name, "summary is missing");
  if (typeof d.export !== "string" || typeof mod[d.export] !== "function")
    fail(name, `task export ${JSON.stringify(d.export)} is not a function`);
  if (typeof d.fineGrained !== "boolean") fail(name, "fineGrained must be a boolean");
  if (typeof d.meanItemUs !== "number" || !(d.meanItemUs > 0)) fail(name, "meanItemUs must be positive");
  const count = d.count;
  if (
    !count ||
    !Number.isInteger(count.full) ||
    !Number.isInteger(count.quick) ||
    count.full < 1 ||
    count.quick < 1
  )
    fail(name, "count.full and count.quick must be positive integers");
  if (typeof d.quickScale !== "number" || !(d.quickScale > 0)) fail(name, "quickScale must be positive");
  if (typeof d.generate !== "function") fail(name, "generate must be a function");
  return d as WorkloadDescriptor;
}

/** Imports and checks the named workloads (all of them by default), in the suite's order. */
export async function loadWorkloads(names: readonly string[] = WORKLOAD_NAMES): Promise<Workload[]> {
  const unknown = names.filter((n) => !(WORKLOAD_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(`Unknown workload ${unknown.join(", ")}; known: ${WORKLOAD_NAMES.join(", ")}`);
  }
  const ordered = WORKLOAD_NAMES.filter((n) => names.includes(n));
  return Promise.all(
    ordered.map(async (name) => {
      const url = new URL(`${name}.mjs`, WORKLOADS_DIR);
      const mod = (await import(url.href)) as Record<string, unknown>;
      const descriptor = checkWorkloadModule(name, mod);
      return {
        descriptor,
        modulePath: fileURLToPath(url),
        moduleUrl: url.href,
        fn: mod[descriptor.export] as (item: unknown) => unknown,
      };
    }),
  );
}

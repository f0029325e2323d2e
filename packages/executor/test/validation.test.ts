import { AmorsizeValidationError } from "@amorsize/types";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { createExecutor } from "../src/index.js";
import { closeAll, closeShared, fixture, shared, track } from "./helpers.js";

afterEach(closeAll);
afterAll(closeShared);

function createIssues(options: unknown): readonly string[] {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: invalid input on purpose
    const executor = createExecutor(options as any);
    void executor.close();
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    return (error as AmorsizeValidationError).issues;
  }
  throw new Error("expected createExecutor to throw");
}

async function mapIssues(taskRef: unknown, items: unknown, options?: unknown): Promise<readonly string[]> {
  const executor = track({ mode: "serial" });
  try {
    // biome-ignore lint/suspicious/noExplicitAny: invalid input on purpose
    await executor.map(taskRef as any, items as any, options as any);
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    expect((error as AmorsizeValidationError).code).toBe("AMORSIZE_INVALID_INPUT");
    return (error as AmorsizeValidationError).issues;
  }
  throw new Error("expected map to reject");
}

const square = { module: fixture("tasks.mjs"), export: "square" };

const REQUIRED =
  'options.workers: Required in parallel mode: { workers: n } starts n worker threads, { mode: "serial" } runs in the calling thread';

describe("createExecutor() options", () => {
  it.each([
    [{}, REQUIRED],
    [undefined, REQUIRED],
    [null, "options: Invalid input: expected object, received null, got null"],
    [{ workers: 0 }, "options.workers: Too small: expected number to be >0, got 0"],
    [{ workers: 2, concurrency: 3 }, 'options.concurrency: Only used in serial mode (set mode: "serial")'],
    [{ mode: "serial", workers: 2 }, "options.workers: Only used in parallel mode"],
    [
      { mode: "serial", resourceLimits: { maxOldGenerationSizeMb: 16 } },
      "options.resourceLimits: Only used in parallel mode",
    ],
    [{ mode: "gpu" }, 'options.mode: Invalid option: expected one of "parallel"|"serial", got "gpu"'],
    [{ workers: 2, threads: 4 }, 'options: Unknown option "threads"'],
    [{ mode: "serial", concurrency: 0 }, "options.concurrency: Too small: expected number to be >0, got 0"],
  ])("%j", (options, message) => {
    expect(createIssues(options)).toEqual([message]);
  });

  it("exposes mode, workers and concurrency", async () => {
    const parallel = track({ workers: 2 });
    expect([parallel.mode, parallel.workers, parallel.concurrency, parallel.closed]).toEqual([
      "parallel",
      2,
      1,
      false,
    ]);
    const serial = track({ mode: "serial", concurrency: 8 });
    expect([serial.mode, serial.workers, serial.concurrency]).toEqual(["serial", 0, 8]);
    await parallel[Symbol.asyncDispose]();
    expect(parallel.closed).toBe(true);
  });
});

describe("map() and stream() inputs", () => {
  it.each([
    [5, "items: Expected an array, an iterable or an async iterable, got number 5"],
    [null, "items: Expected an array, an iterable or an async iterable, got null"],
    [
      { a: 1 },
      "items: Expected an array, an iterable or an async iterable, got an object that is not iterable",
    ],
  ])("items %j", async (items, message) => {
    expect(await mapIssues(square, items)).toEqual([message]);
  });

  it.each([
    [{ module: "" }, 'task.module: Expected a module path or file URL, got ""'],
    [{ module: 3 }, "task.module: Invalid input, got 3"],
    [
      { module: fixture("tasks.mjs"), export: "" },
      'task.export: Too small: expected string to have >=1 characters, got ""',
    ],
  ])("task %j", async (taskRef, message) => {
    expect(await mapIssues(taskRef, [])).toEqual([message]);
  });

  it.each([
    [{ chunkSize: 0 }, "options.chunkSize: Too small: expected number to be >0, got 0"],
    [{ chunkSize: "big" }, 'options.chunkSize: Invalid input, got "big"'],
    [{ maxInFlight: 0 }, "options.maxInFlight: Too small: expected number to be >0, got 0"],
    [
      { targetChunkMs: [50, 10] },
      "options.targetChunkMs: Expected [low, high] with low <= high, got [50,10]",
    ],
    [
      { precomputed: { 1: 2 } },
      'options.precomputed: Invalid input: expected Map, received object, got {"1":2}',
    ],
    [{ transfer: "always" }, 'options.transfer: Invalid option: expected one of "auto"|"none", got "always"'],
    [{ signal: "stop" }, 'options.signal: Invalid input: expected AbortSignal, received string, got "stop"'],
    [{ chunkTimeoutMs: -1 }, "options.chunkTimeoutMs: Too small: expected number to be >0, got -1"],
    [{ totalItems: 1.5 }, "options.totalItems: Invalid input: expected int, received number, got 1.5"],
    [{ chunksize: 4 }, 'options: Unknown option "chunksize" (did you mean "chunkSize"?)'],
  ])("run options %j", async (options, message) => {
    expect(await mapIssues(square, [], options)).toEqual([message]);
  });

  it("stream() validates at once, before anything runs", () => {
    const executor = shared({ workers: 1 });
    expect(() => executor.stream(square, 42 as unknown as number[])).toThrow(
      new AmorsizeValidationError([
        "source: Expected an array, an iterable or an async iterable, got number 42",
      ]),
    );
  });
});

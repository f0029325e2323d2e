import { describe, expect, it } from "@jest/globals";
import { RunTally } from "./report.js";

const shape = { mode: "parallel" as const, workers: 2, chunkSize: 4, adaptive: false };

describe("RunTally: the queued time of a run that measured CPU", () => {
  it("sums each chunk's waits for a core", () => {
    const tally = new RunTally();
    tally.chunk(4, 10);
    tally.queued(3);
    tally.chunk(4, 12);
    tally.queued(1.5);
    expect(tally.report({ ...shape, measuredCpu: true }).queuedMs).toBe(4.5);
  });

  it("tells none unless every chunk told its own: a share would read as less waiting than there was", () => {
    const tally = new RunTally();
    tally.chunk(4, 10);
    tally.queued(3);
    tally.chunk(4, 12);
    expect(tally.report({ ...shape, measuredCpu: true })).not.toHaveProperty("queuedMs");
  });

  it("tells none for a run that did not measure CPU, and never more than the busy time", () => {
    const plain = new RunTally();
    plain.chunk(4, 10);
    plain.queued(3);
    expect(plain.report(shape)).not.toHaveProperty("queuedMs");
    const over = new RunTally();
    over.chunk(4, 10);
    over.queued(11);
    expect(over.report({ ...shape, measuredCpu: true }).queuedMs).toBe(10);
  });
});

import { describe, expect, it } from "@jest/globals";
import {
  type CloneCell,
  cloneDrafts,
  clonePlausible,
  dispatchDraft,
  type StartupPoint,
  startupDrafts,
} from "./fit.js";
import type { CloneShape } from "./kinds.js";

const plainArray: CloneShape = { kind: "plain-array", sizes: [4, 64], transfer: false };
const object: CloneShape = { kind: "object", sizes: [2, 16], transfer: false };
const number: CloneShape = { kind: "number", sizes: [1], transfer: false };
const transfer: CloneShape = { kind: "typed-array-transfer", sizes: [4, 2048], transfer: true };

/** Two chunk lengths per size, each with the same samples. */
function cells(...sizes: [bytes: number, samples: number[]][]): CloneCell[] {
  return sizes.flatMap(([bytes, samples]) => [
    { bytes, samples },
    { bytes, samples },
  ]);
}

function points(...pairs: [k: number, ms: number][]): StartupPoint[] {
  return pairs.map(([k, ms]) => ({ k, ms }));
}

describe("dispatchDraft", () => {
  it("is the median and MAD of the samples once it has the minimum", () => {
    expect(dispatchDraft([70, 60, 80, 65], 3, 600)).toEqual({ value: 67.5, samples: 4, spread: 5 });
  });

  it("is short of time, saying how many samples it had and needed", () => {
    expect(dispatchDraft([70], 20, 600)).toEqual({
      reason: "the 600 ms budget ran out after 1 sample (needs 20)",
      budgetShort: true,
    });
    expect(dispatchDraft([], 3, 1)).toEqual({
      reason: "the 1 ms budget ran out after 0 samples (needs 3)",
      budgetShort: true,
    });
  });
});

describe("cloneDrafts", () => {
  it("fits extra microseconds per item against bytes per item: perItemUs the intercept, perByteNs the slope", () => {
    // y = 0.5 + 0.0625 x: 40-byte items 3 us, 520-byte items 33 us
    expect(cloneDrafts(plainArray, cells([40, [3, 3]], [520, [33, 33]]), 600)).toEqual({
      perItemUs: { value: 0.5, samples: 8, spread: 0 },
      perByteNs: { value: 62.5, samples: 8, spread: 0 },
    });
  });

  it("reports the residuals' MAD, and the slope's spread over the range of bytes", () => {
    const noisy = [
      { bytes: 40, samples: [3, 3.25] },
      { bytes: 40, samples: [2.75, 3] },
      { bytes: 520, samples: [33, 33.5] },
      { bytes: 520, samples: [32.5, 33] },
    ];
    expect(cloneDrafts(plainArray, noisy, 600)).toEqual({
      perItemUs: { value: 0.5, samples: 8, spread: 0.125 },
      perByteNs: { value: 62.5, samples: 8, spread: (0.125 / 480) * 1000 },
    });
  });

  it("calls a copying kind whose bigger items cost no more per byte implausible", () => {
    const reason =
      "the 8 samples were too noisy: 64-element items measured no dearer per byte than 4-element ones";
    const drafts = cloneDrafts(plainArray, cells([40, [4, 4]], [520, [1, 1]]), 600);
    expect(drafts).toEqual({
      perItemUs: { reason, implausible: true },
      perByteNs: { reason, implausible: true },
    });
    expect(clonePlausible(plainArray, cells([40, [4, 4]], [520, [1, 1]]))).toBe(false);
  });

  it("calls a fit whose fixed cost per item is not positive implausible", () => {
    const reason = "the 8 samples were too noisy: the fixed cost per item came out at -1.000 us";
    expect(cloneDrafts(object, cells([32, [1, 1]], [288, [17, 17]]), 600)).toEqual({
      perItemUs: { reason, implausible: true },
      perByteNs: { reason, implausible: true },
    });
  });

  it("clamps a transfer's per-byte cost at 0, measured, when its fit dips below", () => {
    // y = 8 + 64 / 2^15 - x / 2^15
    expect(cloneDrafts(transfer, cells([64, [8, 8]], [16448, [7.5, 7.5]]), 600)).toEqual({
      perItemUs: { value: 8.001953125, samples: 8, spread: 0 },
      perByteNs: { value: 0, samples: 8, spread: 0 },
    });
  });

  it("takes the median for a kind of one size, outliers rejected, and says why it has no per-byte figure", () => {
    expect(
      cloneDrafts(
        number,
        [
          { bytes: 9, samples: [0.25, 0.5] },
          { bytes: 9, samples: [0.25, 0.5, 40] },
        ],
        600,
      ),
    ).toEqual({
      perItemUs: { value: 0.375, samples: 4, spread: 0.125 },
      perByteNs: {
        reason: "a number always serialises to the same 9 bytes, so its whole cost is in perItemUs",
      },
    });
  });

  it("calls a one-size kind whose items measured no cost implausible", () => {
    expect(
      cloneDrafts(
        number,
        [
          { bytes: 9, samples: [-0.25, -0.5] },
          { bytes: 9, samples: [-0.25, -0.5] },
        ],
        600,
      ),
    ).toEqual({
      perItemUs: { reason: "the 4 samples were too noisy: an item measured no cost", implausible: true },
      perByteNs: {
        reason: "a number always serialises to the same 9 bytes, so its whole cost is in perItemUs",
      },
    });
  });

  it("is short of time without two samples in each of the four cells", () => {
    const short = {
      reason: "the 600 ms budget ran out after 5 samples (needs 8)",
      budgetShort: true,
    };
    const three = [
      { bytes: 20, samples: [1, 1] },
      { bytes: 20, samples: [1] },
      { bytes: 4100, samples: [5, 5] },
    ];
    expect(cloneDrafts({ kind: "string", sizes: [16, 4096], transfer: false }, three, 600)).toEqual({
      perItemUs: short,
      perByteNs: short,
    });
    expect(cloneDrafts(plainArray, [], 600).perItemUs).toEqual({
      reason: "the 600 ms budget ran out after 0 samples (needs 8)",
      budgetShort: true,
    });
  });

  it("counts a kind that cannot be fitted yet as plausible", () => {
    expect(clonePlausible(plainArray, [{ bytes: 40, samples: [3] }])).toBe(true);
    expect(clonePlausible(number, [])).toBe(true);
  });
});

describe("startupDrafts", () => {
  it("fits fixedMs + perWorkerMs x k through the pool starts", () => {
    const rising = points([2, 60], [1, 35], [2, 60], [3, 85], [1, 35], [3, 85]);
    expect(startupDrafts(rising, 3, 600)).toEqual({
      fixedMs: { value: 10, samples: 6, spread: 0 },
      perWorkerMs: { value: 25, samples: 6, spread: 0 },
    });
  });

  it("fits the best line through the origin when the straight line's fixed part is negative", () => {
    // 10 and 60 ms: the straight line is -40 + 50 k; through the origin, 26 k
    expect(startupDrafts(points([2, 60], [1, 10], [2, 60], [1, 10]), 2, 600)).toEqual({
      fixedMs: { value: 0, samples: 4, spread: 12 },
      perWorkerMs: { value: 26, samples: 4, spread: 12 },
    });
  });

  it("takes the per-worker estimate and the fixed part from the mean start when the line falls", () => {
    // Larger pools measured faster to start (440 - 60 k): noise, not free workers.
    const falling = points([2, 320], [1, 380], [2, 320], [3, 260], [1, 380], [3, 260]);
    const reason =
      "the 6 start-up samples were too noisy: larger pools measured no slower to start than smaller ones";
    expect(startupDrafts(falling, 3, 600)).toEqual({
      // mean start 320 ms at a mean k of 2, less 2 x 30 ms
      fixedMs: {
        reason: `${reason}; fixed part derived from their mean start`,
        estimate: 260,
        implausible: true,
      },
      perWorkerMs: { reason, estimate: 30, implausible: true },
    });
  });

  it("treats a flat line as falling, and never derives a negative fixed part", () => {
    const flat = startupDrafts(points([1, 100], [2, 100], [3, 100]), 3, 600);
    expect(flat.perWorkerMs).toMatchObject({ estimate: 30, implausible: true });
    expect(flat.fixedMs).toMatchObject({ estimate: 40, implausible: true });
    // 50 ms at a mean k of 2 is less than two workers' 30 ms each
    expect(startupDrafts(points([1, 50], [2, 50], [3, 50]), 3, 600).fixedMs).toMatchObject({ estimate: 0 });
  });

  it("puts the whole start of a one-worker pool in perWorkerMs when maxWorkers is 1", () => {
    expect(startupDrafts(points([1, 40], [1, 42], [1, 41], [1, 400]), 1, 600)).toEqual({
      fixedMs: {
        reason:
          "maxWorkers is 1: one pool size cannot separate the fixed part, so it is 0 and all is in perWorkerMs",
        estimate: 0,
      },
      perWorkerMs: { value: 41, samples: 3, spread: 1 },
    });
    expect(startupDrafts(points([1, 40], [1, 42]), 1, 600).perWorkerMs).toEqual({
      reason: "the 600 ms budget ran out after 2 samples (needs 3)",
      budgetShort: true,
    });
  });

  it("is short of time with fewer than three starts or a single pool size", () => {
    const short = { reason: "the 600 ms budget ran out after 2 samples (needs 3)", budgetShort: true };
    expect(startupDrafts(points([2, 40], [1, 42]), 3, 600)).toEqual({ fixedMs: short, perWorkerMs: short });
    expect(startupDrafts(points([2, 40], [2, 42], [2, 41]), 3, 600).fixedMs).toEqual({
      reason: "the 600 ms budget ran out after 3 samples (needs 3)",
      budgetShort: true,
    });
  });

  it("says why when starting a pool failed before the line was determined", () => {
    const failed = { reason: "measuring worker start-up failed: boom" };
    expect(startupDrafts(points([2, 40], [1, 42]), 3, 600, "boom")).toEqual({
      fixedMs: failed,
      perWorkerMs: failed,
    });
    // With enough starts before the failure, the line stands.
    const rising = points([2, 60], [1, 35], [3, 85]);
    expect(startupDrafts(rising, 3, 600, "boom").perWorkerMs).toEqual({ value: 25, samples: 3, spread: 0 });
  });
});

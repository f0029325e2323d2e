import { describe, expect, it } from "@jest/globals";
import { ProgressDisplay, progressLine, REDRAW_INTERVAL_MS } from "./cli-progress.js";

const progress = { done: 1234, total: 5000, failed: 0, elapsedMs: 800, etaMs: 2500 };

describe("progressLine", () => {
  it("fits any width, leaving the last column free", () => {
    const many = { done: 123_456_789, total: 987_654_321, failed: 55_555, elapsedMs: 1, etaMs: 9_999_999 };
    for (const p of [progress, many, { done: 3, failed: 0, elapsedMs: 1 }]) {
      for (let columns = 1; columns <= 200; columns++) {
        expect(progressLine(p, columns).length).toBeLessThanOrEqual(Math.max(1, columns - 1));
      }
    }
  });

  it("draws a bar of up to 30 columns when there is room, and none when it would be too narrow", () => {
    expect(progressLine(progress, 120)).toBe("[#######.......................] 1234/5000 eta 2.5s");
    expect(progressLine(progress, 40)).toMatch(/^\[#+\.+\] 1234\/5000 eta 2\.5s$/);
    expect(progressLine(progress, 25)).toBe("1234/5000 eta 2.5s");
    expect(progressLine(progress, 10)).toBe("1234/5000");
  });

  it("shows failures, minutes for a long wait, no eta once done, and no bar without a total", () => {
    expect(progressLine({ ...progress, failed: 2, etaMs: 125_000 }, 200)).toMatch(
      / 1234\/5000 \(2 failed\) eta 2m05s$/,
    );
    expect(progressLine({ ...progress, done: 5000, etaMs: 0 }, 80)).toBe(
      "[##############################] 5000/5000",
    );
    expect(progressLine({ done: 7, failed: 0, elapsedMs: 5 }, 80)).toBe("7");
  });
});

describe("ProgressDisplay", () => {
  function display(columns?: number) {
    const writes: string[] = [];
    let now = 0;
    const shown = new ProgressDisplay(
      { write: (text: string) => writes.push(text), ...(columns === undefined ? {} : { columns }) },
      () => now,
    );
    return { shown, writes, advance: (ms: number) => (now += ms) };
  }

  it("redraws at most once per interval, however often it is told", () => {
    const { shown, writes, advance } = display(80);
    for (let i = 0; i < 1000; i++) {
      shown.update({ ...progress, done: i });
      advance(1);
    }
    // 1000 updates over 1000 ms: the first, then one per interval.
    expect(writes).toHaveLength(Math.ceil(1000 / REDRAW_INTERVAL_MS));
    expect(writes[0]).toBe(`\r${progressLine({ ...progress, done: 0 }, 80)}\x1b[K`);
  });

  it("redraws at the terminal's width of the moment, 80 columns when it does not say", () => {
    const { shown, writes } = display();
    shown.update(progress);
    expect(writes).toEqual([`\r${progressLine(progress, 80)}\x1b[K`]);
    let now = 0;
    const terminal = { write: (text: string) => writes.push(text), columns: 80 };
    const resized = new ProgressDisplay(terminal, () => now);
    resized.update(progress);
    terminal.columns = 30;
    now += REDRAW_INTERVAL_MS;
    resized.update(progress);
    expect(writes.at(-1)).toBe(`\r${progressLine(progress, 30)}\x1b[K`);
  });

  it("erases its line at the end, and writes nothing when it drew nothing", () => {
    const { shown, writes } = display(80);
    shown.clear();
    expect(writes).toEqual([]);
    shown.update(progress);
    shown.clear();
    expect(writes.at(-1)).toBe("\r\x1b[K");
    shown.clear();
    expect(writes).toHaveLength(2);
  });
});

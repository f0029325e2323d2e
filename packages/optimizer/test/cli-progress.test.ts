// `amorsize run`'s progress line on a real terminal: the built command runs under a
// pseudo-terminal (util-linux `script`) 40 and 120 columns wide, and what it wrote is
// replayed on a small model of a terminal that wraps at its last column.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "@jest/globals";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { cli, fixture } from "./cli-helpers.js";

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasScript) {
  console.warn("cli-progress: util-linux `script` is not installed; the pseudo-terminal test is skipped.");
}
const describeWithPty = hasScript ? describe : describe.skip;

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** What `amorsize run` writes to a terminal `columns` wide; its results go to /dev/null unless `resultsToo`. */
function runOnTerminal(columns: number, resultsToo = false): string {
  const command = [
    `stty cols ${columns} rows 50 &&`,
    `exec ${quote(process.execPath)} ${quote(cli)} run ${quote(`${fixture}#blocksTwoMs`)}`,
    // Serial: a progress report per item, the case that redrew every ~17 ms. The items
    // sleep 2 ms: the line needs time to pass, not work (which cost 0.5 s of CPU a run).
    "--range 300 --max-workers 1",
    resultsToo ? "" : "> /dev/null",
  ].join(" ");
  const ran = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    input: "",
    env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
    timeout: 120_000,
  });
  expect(ran.status).toBe(0);
  return ran.stdout;
}

/**
 * Replays terminal output on a screen `columns` wide that wraps as terminals do (a
 * character written past the last column starts the next row): the rows left on the
 * screen, and where in the output each wrap happened.
 */
function replay(output: string, columns: number): { rows: string[]; wraps: number[] } {
  const rows: string[][] = [[]];
  const wraps: number[] = [];
  let row = 0;
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === "\r") col = 0;
    else if (c === "\n") {
      row++;
      rows[row] ??= [];
    } else if (output.startsWith("\x1b[K", i)) {
      rows[row]!.length = Math.min(rows[row]!.length, col);
      i += 2;
    } else {
      if (col === columns) {
        wraps.push(i);
        row++;
        col = 0;
        rows[row] ??= [];
      }
      const line = rows[row]!;
      while (line.length < col) line.push(" ");
      line[col++] = c;
    }
  }
  return { rows: rows.map((r) => r.join("").trimEnd()), wraps };
}

describeWithPty("amorsize run's progress line under a pseudo-terminal", () => {
  for (const columns of [40, 120]) {
    it(`fits ${columns} columns, redraws in place and is erased at the end`, () => {
      const output = runOnTerminal(columns);
      const redraws = output.split("\r[").length - 1;
      expect(redraws).toBeGreaterThanOrEqual(2);
      const { rows, wraps } = replay(output, columns);
      // Only the summary after the progress line was erased may wrap: it is a line of text.
      const erased = output.lastIndexOf("\r\x1b[K");
      expect(erased).toBeGreaterThan(output.lastIndexOf("\r["));
      expect(wraps.filter((at) => at < erased)).toEqual([]);
      const shown = rows.filter((r) => r !== "");
      expect(shown[0]).toMatch(/^serial: 300 ok, 0 failed in \d+ ms/);
      expect(shown.filter((r) => /\d+\/300|eta \d|\[[#.]+\]/.test(r))).toEqual([]);
    });
  }

  it("is not drawn when the results go to the same terminal", () => {
    const output = runOnTerminal(120, true);
    expect(output).not.toContain("\r[");
    expect(output.split(/\r?\n/).slice(0, 3)).toEqual(["1", "2", "3"]);
  });
});

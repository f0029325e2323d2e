import { describe, expect, it } from "@jest/globals";
import {
  expectedOutput,
  firstScreenBlocks,
  importedPackages,
  installedPackages,
  outputProblems,
  sameLine,
} from "./first-screen.js";

const readme = [
  "# pkg",
  "",
  "```sh",
  "npm install pkg",
  "```",
  "",
  "<!-- first-screen: task.mjs -->",
  "```js",
  "export const twice = (x) => 2 * x;",
  "```",
  "",
  "<!--first-screen: main.mjs main.mts-->",
  "```js",
  "console.log(1 + 1);",
  "//=> 2",
  "```",
  "",
  "```js",
  "// not part of the first screen",
  "```",
].join("\n");

describe("firstScreenBlocks", () => {
  it("takes the marked blocks with the file names of each, and nothing else", () => {
    expect(firstScreenBlocks(readme)).toEqual([
      { names: ["task.mjs"], content: "export const twice = (x) => 2 * x;\n", line: 7 },
      { names: ["main.mjs", "main.mts"], content: "console.log(1 + 1);\n//=> 2\n", line: 12 },
    ]);
  });

  it("rejects a marker with no block under it, and an unclosed block", () => {
    expect(() => firstScreenBlocks("<!-- first-screen: a.mjs -->\n\n```js\n```")).toThrow(
      "line 1: a first-screen marker must sit on a fence",
    );
    expect(() => firstScreenBlocks("<!-- first-screen: a.mjs -->\n```js\nx")).toThrow(
      "line 1: the code block is not closed",
    );
  });
});

describe("expectedOutput", () => {
  it("collects the //=> lines in order, indented or not", () => {
    const source =
      "console.log(a);\n//=> [ 1, 4 ]\nif (x) {\n  console.log(b);\n  //=> 3 5\n}\n// a comment\n";
    expect(expectedOutput(source)).toEqual(["[ 1, 4 ]", "3 5"]);
  });
});

describe("sameLine", () => {
  it("lets figures vary and nothing else", () => {
    expect(
      sameLine("parallel: 2 workers, 167 items per task", "parallel: 4 workers, 1250 items per task"),
    ).toBe(true);
    expect(sameLine("1138 ms predicted, 1019 ms measured", "2.5 ms predicted, -3e-7 ms measured")).toBe(true);
    expect(sameLine("parallel: 2 workers, 167 items per task", "serial")).toBe(false);
    expect(sameLine("[ 1, 4, 9 ]", "[ 1, 4 ]")).toBe(false);
    expect(sameLine("quota: none", "quota: 1.5")).toBe(false);
    expect(sameLine("a (b) [c] $d", "a (b) [c] $d")).toBe(true);
  });
});

describe("outputProblems", () => {
  it("names each line that differs, is missing or is extra", () => {
    expect(outputProblems(["1 2", "done"], "1 3\ndone\n")).toEqual([]);
    expect(outputProblems(["1 2", "done"], "1 3\nfailed\n")).toEqual([
      'line 2: README "done", printed "failed"',
    ]);
    expect(outputProblems(["a"], "a\nb\n")).toEqual(['line 2: printed "b", the README shows nothing']);
    expect(outputProblems(["a", "b"], "a\n")).toEqual(['line 2: the README shows "b", nothing printed']);
  });
});

describe("installedPackages and importedPackages", () => {
  it("read the README's install command and a module's named imports", () => {
    const markdown =
      "# x\n\n```sh\nnpm install @amorsize/cost-model zod --save-exact\n```\n\n```sh\nnpm install later\n```\n";
    expect(installedPackages(markdown)).toEqual(["@amorsize/cost-model", "zod"]);
    const source = [
      'import { a } from "@amorsize/optimizer";',
      'import { b } from "@amorsize/cluster/cli";',
      'import os from "node:os";',
      'import { c } from "./local.mjs";',
      'const z = await import("zod/mini");',
    ].join("\n");
    expect(importedPackages(source)).toEqual(["@amorsize/optimizer", "@amorsize/cluster", "zod"]);
  });
});

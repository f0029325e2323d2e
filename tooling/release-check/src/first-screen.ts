/**
 * A README's first screen, as the README marks it: each code block under an
 * `<!-- first-screen: NAME [NAME...] -->` comment is written to the files it names.
 * `.mjs`/`.js` files with `//=> ` lines are run and their output compared; `.mts`/`.ts`
 * files are compiled; `.sh` files are programs the example talks to (a server, a worker
 * host), started before the runs and stopped after them.
 */
export interface ScreenBlock {
  readonly names: readonly string[];
  readonly content: string;
  /** 1-based line of the marker, for messages. */
  readonly line: number;
}

const MARKER = /^<!--\s*first-screen:\s*(.+?)\s*-->\s*$/;
const FENCE = /^```/;

/** The marked blocks of a README, in order; throws on a marker without a block under it. */
export function firstScreenBlocks(markdown: string): ScreenBlock[] {
  const lines = markdown.split("\n");
  const blocks: ScreenBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    if (!marker) continue;
    if (!FENCE.test(lines[i + 1] ?? ""))
      throw new Error(`line ${i + 1}: a first-screen marker must sit on a fence`);
    const end = lines.findIndex((text, j) => j > i + 1 && FENCE.test(text));
    if (end === -1) throw new Error(`line ${i + 1}: the code block is not closed`);
    blocks.push({
      names: marker[1]!.split(/\s+/),
      content: `${lines.slice(i + 2, end).join("\n")}\n`,
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

/** The output a program shows in `//=> ` comments, one entry per printed line. */
export function expectedOutput(source: string): string[] {
  return source
    .split("\n")
    .map((line) => /^\s*\/\/=> ?(.*)$/.exec(line)?.[1]?.trimEnd())
    .filter((line): line is string => line !== undefined);
}

const FIGURE = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Whether a printed line is the one the README shows. Figures (timings, sizes, worker
 * counts) differ between machines and runs, so any number stands for any number; words,
 * punctuation and the number of figures must be the same.
 */
export function sameLine(expected: string, actual: string): boolean {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = expected.trim().split(FIGURE).map(literal).join(FIGURE.source);
  return new RegExp(`^${pattern}$`).test(actual.trim());
}

/** Differences between the lines a README shows and what the program printed. */
export function outputProblems(expected: readonly string[], printed: string): string[] {
  const actual = printed.replace(/\n$/, "").split("\n");
  const problems: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i];
    const got = actual[i];
    if (want === undefined)
      problems.push(`line ${i + 1}: printed ${JSON.stringify(got)}, the README shows nothing`);
    else if (got === undefined)
      problems.push(`line ${i + 1}: the README shows ${JSON.stringify(want)}, nothing printed`);
    else if (!sameLine(want, got))
      problems.push(`line ${i + 1}: README ${JSON.stringify(want)}, printed ${JSON.stringify(got)}`);
  }
  return problems;
}

/** The packages of the first `npm install` command in a README. */
export function installedPackages(markdown: string): string[] {
  const command = /^npm install (.+)$/m.exec(markdown)?.[1] ?? "";
  return command.split(/\s+/).filter((word) => word && !word.startsWith("-"));
}

/** The packages a module imports by name (not `node:` built-ins, not relative paths). */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)) {
    const specifier = match[1]!;
    if (specifier.startsWith(".") || specifier.startsWith("node:") || specifier.startsWith("/")) continue;
    const parts = specifier.split("/");
    names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
  }
  return [...names];
}

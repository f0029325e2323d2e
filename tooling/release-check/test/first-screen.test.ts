import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import {
  expectedOutput,
  firstScreenBlocks,
  importedPackages,
  installedPackages,
  outputProblems,
  type ScreenBlock,
} from "../src/first-screen.js";
import { packedTarballs } from "../src/pack.js";
import {
  type Background,
  createProject,
  freePort,
  runNode,
  startBackground,
  stopBackground,
  typecheck,
  userEnv,
} from "../src/sandbox.js";
import { publishedPackages, repoRoot } from "../src/workspace.js";

// Packing, installing and running the first screens takes a while on a busy 2-core machine.
jest.setTimeout(300_000);

const published = publishedPackages();
const readmes = ["README.md", ...published.map((pkg) => `${pkg.dir}/README.md`)];
const scratch = mkdtempSync(join(tmpdir(), "amorsize-first-screen-"));
const project = join(scratch, "project");

// The cluster's README talks to a Redis on another machine; here it gets one on loopback.
const CLUSTER_REDIS = "redis://10.0.0.5:6379";
const redisServer = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim();
if (!redisServer)
  console.warn("NOTICE: redis-server not found: the cluster README's first screen is not run");

const isProgram = (name: string) => /\.m?js$/.test(name);
const isTypeScript = (name: string) => /\.m?ts$/.test(name);
const isHost = (name: string) => name.endsWith(".sh");

interface Screen {
  readonly readme: string;
  /** Folder of its files, relative to the project. */
  readonly folder: string;
  readonly blocks: readonly ScreenBlock[];
  /** What the README's `npm install` line installs. */
  readonly installs: readonly string[];
}

const screens: Screen[] = readmes.map((readme) => {
  const markdown = readFileSync(join(repoRoot, readme), "utf8");
  const folder = readme === "README.md" ? "root" : readme.split("/")[1]!;
  return { readme, folder, blocks: firstScreenBlocks(markdown), installs: installedPackages(markdown) };
});
const needsRedis = (screen: Screen) => screen.blocks.some((block) => block.content.includes(CLUSTER_REDIS));
let redis: Background | undefined;

function writeScreen(screen: Screen, redisUrl: string): void {
  mkdirSync(join(project, screen.folder), { recursive: true });
  for (const block of screen.blocks) {
    for (const name of block.names) {
      writeFileSync(join(project, screen.folder, name), block.content.replaceAll(CLUSTER_REDIS, redisUrl));
    }
  }
}

beforeAll(async () => {
  createProject(
    project,
    packedTarballs(published).map((packed) => packed.tarball),
  );
  let redisUrl = CLUSTER_REDIS;
  if (redisServer && screens.some(needsRedis)) {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    redis = await startBackground(redisServer, args, {
      cwd: scratch,
      env: process.env,
      ready: /Ready to accept connections/,
    });
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  for (const screen of screens) writeScreen(screen, redisUrl);
});

afterAll(async () => {
  if (redis) await stopBackground(redis);
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts the screen's hosts, runs its programs from the project folder, stops the hosts. */
async function runScreen(screen: Screen): Promise<string[]> {
  const env = userEnv({ AMORSIZE_CACHE_DIR: join(project, screen.folder, ".cache") });
  const cwd = join(project, screen.folder);
  const hosts: Background[] = [];
  const problems: string[] = [];
  let ran = 0;
  try {
    for (const name of screen.blocks.flatMap((block) => block.names).filter(isHost)) {
      hosts.push(await startBackground("sh", [name], { cwd, env, ready: /\n/ }));
    }
    for (const block of screen.blocks) {
      for (const name of block.names.filter(isProgram)) {
        const expected = expectedOutput(block.content);
        if (expected.length === 0) continue;
        // From the project folder, not the file's: a task path must not depend on where node starts.
        const run = runNode(`${screen.folder}/${name}`, project, env);
        ran += 1;
        const ended = run.status === 0 ? [] : [`exit ${run.status ?? run.signal}`];
        const said = run.stderr.trim() ? [`stderr: ${run.stderr.trim()}`] : [];
        problems.push(
          ...[...ended, ...said, ...outputProblems(expected, run.stdout)].map((p) => `${name}: ${p}`),
        );
      }
    }
  } finally {
    for (const host of hosts) await stopBackground(host);
  }
  return ran > 0 ? problems : ["no marked program shows its output (//=> lines)"];
}

describe.each(screens.map((screen) => [screen.readme, screen] as const))(
  `the first screen of %s, on Node ${process.versions.node}`,
  (_, screen) => {
    it("imports only what the README's npm install line installs", () => {
      const imported = screen.blocks.flatMap((block) => importedPackages(block.content));
      expect(imported.filter((name) => !screen.installs.includes(name))).toEqual([]);
    });

    const runs = needsRedis(screen) && !redisServer ? it.skip : it;
    runs(
      "runs as written in an npm init -y folder with the packed tarballs, printing what it shows",
      async () => {
        expect(await runScreen(screen)).toEqual([]);
      },
    );
  },
);

describe("the TypeScript forms of the first screens", () => {
  it('compile under "module": "NodeNext" and strict', () => {
    const files = screens.flatMap((screen) =>
      screen.blocks.flatMap((block) =>
        block.names.filter(isTypeScript).map((name) => `${screen.folder}/${name}`),
      ),
    );
    expect(files.length).toBeGreaterThan(0);
    expect(typecheck(project, files)).toBe("");
  });
});

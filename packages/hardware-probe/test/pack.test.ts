// Packs @amorsize/types and @amorsize/hardware-probe, installs the two tarballs
// into an empty project outside the workspace, and uses the package there the way
// a user would: an import, and the amorsize-probe command that npx would run.
//
// Each npm command costs seconds on a busy machine, so there are two: one `npm pack`
// for both folders and one `npm install --prefer-offline`. The install takes the
// runtime dependencies' tarballs (zod, os-utils) from npm's cache, which `npm ci`
// filled. It may still ask the registry for their package documents: `npm ci`
// installs from the lockfile and does not cache those, so a strict `--offline`
// failed with ENOTCACHED on a fresh machine whenever this suite ran before another
// suite's install had fetched them.
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HardwareProfileSchema } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { probeHardware } from "../src/index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const typesDir = fileURLToPath(new URL("../../types", import.meta.url));

// The child npm must not inherit the workspace's npm_* settings from `npm test`, except
// the cache that `npm ci` filled, which the offline install reads.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || /^npm_config_cache$/i.test(key)),
);

function sh(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: 100_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/**
 * Packs each folder (absolute paths) into `destination` with one npm command, run from
 * `destination` so that npm sees plain folders rather than workspace members.
 */
async function pack(dirs: readonly string[], destination: string): Promise<PackResult[]> {
  return JSON.parse(
    await sh("npm", ["pack", "--json", "--pack-destination", destination, ...dirs], destination),
  ) as PackResult[];
}

/** Every package folder under node_modules (scoped ones as `@scope/name`). */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      for (const inner of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${inner}`);
    } else {
      names.push(entry);
    }
  }
  return names.sort();
}

/** The runtime dependency closure of `root`, read from the installed package.json files. */
function dependencyClosure(nodeModules: string, root: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency);
  };
  visit(root);
  return [...seen].sort();
}

describe("the packed package, installed outside the workspace", () => {
  let tmp: string;
  let app: string;
  let probeTarball: PackResult;

  beforeAll(async () => {
    tmp = mkdtempSync(join(os.tmpdir(), "amorsize-pack-"));
    app = join(tmp, "app");
    mkdirSync(app);
    const tarballs = await pack([typesDir, packageDir], tmp);
    const tarballOf = (name: string) => tarballs.find((t) => t.name === name)!;
    probeTarball = tarballOf("@amorsize/hardware-probe");
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await sh(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        join(tmp, tarballOf("@amorsize/types").filename),
        join(tmp, probeTarball.filename),
      ],
      app,
    );
  }, 120_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("ships only dist, the manifest, README and LICENSE", () => {
    const paths = probeTarball.files.map((f) => f.path);
    expect(
      paths.filter((p) => !p.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(p)),
    ).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/cli.js", "README.md"]),
    );
    expect(paths.some((p) => p.endsWith(".test.js") || p.includes("fixtures"))).toBe(false);
  });

  it("installs nothing beyond the two packages and their runtime dependencies", () => {
    const nodeModules = join(app, "node_modules");
    const installed = installedPackages(nodeModules);
    expect(installed).toEqual(dependencyClosure(nodeModules, "@amorsize/hardware-probe"));
    expect(installed).toEqual(expect.arrayContaining(["@amorsize/hardware-probe", "@amorsize/types", "zod"]));
    expect(existsSync(join(nodeModules, ".bin", "amorsize-probe"))).toBe(true);
  });

  it("imports probeHardware there", async () => {
    const out = await sh(
      process.execPath,
      [
        "-e",
        'import("@amorsize/hardware-probe").then(m=>m.probeHardware()).then(p=>console.log(p.cores.usable.value))',
      ],
      app,
    );
    expect(out.trim()).toBe(String((await probeHardware()).cores.usable.value));
  });

  it("runs amorsize-probe --json there", async () => {
    // The link npx resolves a local command to; npx itself would add an npm start-up.
    const out = await sh(join(app, "node_modules", ".bin", "amorsize-probe"), ["--json"], app);
    const profile = HardwareProfileSchema.parse(JSON.parse(out));
    expect(profile.cores.usable.value).toBe((await probeHardware()).cores.usable.value);
  });
});

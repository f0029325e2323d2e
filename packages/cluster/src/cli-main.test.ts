import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { main } from "./cli-main.js";

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

describe("main of @amorsize/cluster/cli", () => {
  it("prints the usage for --help and exits 0", async () => {
    const { code, out, err } = await run(["--help"]);
    expect([code, err]).toEqual([0, []]);
    expect(out[0]).toMatch(/^Usage: amorsize-worker --redis redis:\/\/host:port --allow <path> \[options\]/);
  });

  it("prints the usage on stderr for a bare command and exits 2", async () => {
    const { code, out, err } = await run([]);
    expect([code, out]).toEqual([2, []]);
    expect(err[0]).toMatch(/^Usage: amorsize-worker --redis redis:\/\/host:port --allow <path>/);
    expect(err[0]).toContain("Exit codes: 0 stopped by SIGTERM or SIGINT");
  });

  it("prints the package's version for --version, and the usage for help", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(await run(["--version"])).toEqual({ code: 0, out: [version], err: [] });
    expect(await run(["help"])).toEqual(await run(["--help"]));
  });

  it("resolves with 2 and says why for a bad command line", async () => {
    expect(await run(["--concurrency", "2"])).toEqual({
      code: 2,
      out: [],
      err: [
        "amorsize-worker: --redis: Required (for example --redis redis://127.0.0.1:6379, or AMORSIZE_REDIS_URL in the environment) [AMORSIZE_CLUSTER_USAGE]",
      ],
    });
  });

  it("resolves with 2 for a host that would run anything, or show its password to ps", async () => {
    expect(await run(["--redis", "redis://127.0.0.1:1"])).toEqual({
      code: 2,
      out: [],
      err: [
        "amorsize-worker: --allow: Required: the folders (or files) of the task modules this host may run, for example --allow /srv/app/tasks [AMORSIZE_CLUSTER_USAGE]",
      ],
    });
    expect((await run(["--redis", "redis://:hunter2@127.0.0.1:1", "--allow", "."])).err).toEqual([
      "amorsize-worker: --redis: the URL holds a password, which ps shows to every user of this machine: put it in --redis-password-file or AMORSIZE_REDIS_PASSWORD [AMORSIZE_CLUSTER_USAGE]",
    ]);
  });

  it("resolves with 1 when Redis cannot be reached", async () => {
    const { code, err } = await run(["--redis", "redis://127.0.0.1:1", "--allow", ".", "--concurrency", "1"]);
    expect(code).toBe(1);
    expect(err).toEqual([
      expect.stringMatching(
        /^amorsize-worker: Redis at 127\.0\.0\.1:1 is unreachable: .+ \[AMORSIZE_REDIS_UNREACHABLE\]$/,
      ),
    ]);
  });
});

import { describe, expect, it } from "@jest/globals";
import { outputBaseName, parseCli } from "../src/cli.js";

describe("command line", () => {
  it("defaults to a full run of every workload", () => {
    expect(parseCli([])).toEqual({
      quick: false,
      only: undefined,
      repetitions: undefined,
      help: false,
      service: false,
      cold: false,
    });
  });

  it("reads --quick, --only and --repetitions", () => {
    expect(parseCli(["--quick", "--only", "trivial, io-bound", "--repetitions", "3"])).toEqual({
      quick: true,
      only: ["trivial", "io-bound"],
      repetitions: 3,
      help: false,
      service: false,
      cold: false,
    });
    expect(parseCli(["--only=light"]).only).toEqual(["light"]);
  });

  it("reads --service, alone or with --quick, and nothing it would ignore", () => {
    expect(parseCli(["--service"])).toMatchObject({ service: true, quick: false });
    expect(parseCli(["--service", "--quick"])).toMatchObject({ service: true, quick: true });
    expect(() => parseCli(["--service", "--only", "light"])).toThrow("--service takes only --quick");
    expect(() => parseCli(["--service", "--repetitions", "2"])).toThrow("--service takes only --quick");
  });

  it("reads --cold, alone or with --quick, and nothing it would ignore", () => {
    expect(parseCli(["--cold"])).toMatchObject({ cold: true, quick: false, service: false });
    expect(parseCli(["--cold", "--quick"])).toMatchObject({ cold: true, quick: true });
    expect(() => parseCli(["--cold", "--service"])).toThrow("--cold takes only --quick");
    expect(() => parseCli(["--cold", "--only", "light"])).toThrow("--cold takes only --quick");
  });

  it("refuses what it does not know, saying why", () => {
    expect(() => parseCli(["--only", "light,nope"])).toThrow(
      "--only: unknown workload nope; known: trivial, light",
    );
    expect(() => parseCli(["--only", ","])).toThrow("--only needs at least one workload name");
    expect(() => parseCli(["--repetitions", "0"])).toThrow(
      '--repetitions must be a positive integer, got "0"',
    );
    expect(() => parseCli(["--repetitions", "2.5"])).toThrow(
      '--repetitions must be a positive integer, got "2.5"',
    );
    expect(() => parseCli(["--fast"])).toThrow("Unknown option '--fast'");
    expect(() => parseCli(["extra"])).toThrow();
  });

  it("names the output files after the kind of run", () => {
    expect(outputBaseName({ quick: false, only: undefined })).toBe("results");
    expect(outputBaseName({ quick: true, only: ["light"] })).toBe("results.quick");
    expect(outputBaseName({ quick: false, only: ["light"] })).toBe("results.partial");
  });
});

// Where run's lines go: buffered writes that wait for a full stream, and the --out file.
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createTemporary, LineWriter, OutputError, openOutFile } from "../src/output-sink.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-output-sink-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A writable that holds each write until `release()`, with a small buffer: full after 16 characters. */
function slowStream() {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    decodeStrings: false,
    write(chunk, _encoding, done) {
      writes.push(String(chunk));
      pending.push(done);
    },
  });
  const release = () => {
    for (const done of pending.splice(0)) done();
  };
  return { stream, writes, release };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("LineWriter", () => {
  it("gathers lines into one write per limit, and writes the rest when idle", async () => {
    const { stream, writes, release } = slowStream();
    const writer = new LineWriter(stream, "out", 8);
    expect(writer.add("ab")).toBeUndefined();
    expect(writer.add("cd")).toBeUndefined();
    expect(writes).toEqual([]);
    await tick();
    expect(writes).toEqual(["ab\ncd\n"]);
    release();
    writer.add("efgh");
    expect(writes).toEqual(["ab\ncd\n"]);
    await tick();
    release();
    await writer.finish();
    expect(writes).toEqual(["ab\ncd\n", "efgh\n"]);
  });

  it("writes 20,000 lines added at once in writes of the limit", async () => {
    const { stream, writes, release } = slowStream();
    const writer = new LineWriter(stream, "out", 65_536);
    for (let i = 0; i < 20_000; i++) {
      const wait = writer.add(String(i));
      if (wait) {
        release();
        await wait;
      }
    }
    const last = writer.finish();
    release();
    await last;
    // 108,890 characters: one write at 65,536 and the rest at the end.
    expect(writes.map((w) => w.length)).toEqual([65_536 + 4, 108_890 - 65_540]);
    expect(writes.join("")).toBe(`${Array.from({ length: 20_000 }, (_, i) => i).join("\n")}\n`);
  });

  it("makes the caller wait while the stream is full, until it drains", async () => {
    const { stream, writes, release } = slowStream();
    const writer = new LineWriter(stream, "out", 8);
    const wait = writer.add("0123456789abcdef");
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => {
      drained = true;
    });
    await tick();
    expect(drained).toBe(false);
    // A full stream gets nothing more when idle: the lines wait for the next flush.
    writer.add("x");
    await tick();
    expect(writes).toEqual(["0123456789abcdef\n"]);
    release();
    await wait;
    expect(drained).toBe(true);
    const last = writer.finish();
    release();
    await tick();
    release();
    await last;
    expect(writes.join("")).toBe("0123456789abcdef\nx\n");
  });

  it("waits for one drain however many callers wait on a full stream: one set of listeners", async () => {
    const { stream, writes, release } = slowStream();
    const writer = new LineWriter(stream, "out", 4);
    const listeners = () => ["drain", "error", "close"].map((event) => stream.listenerCount(event));
    const before = listeners();
    const waits = Array.from({ length: 20 }, (_, i) => writer.add(`line ${i}`));
    expect(waits.every((wait) => wait instanceof Promise)).toBe(true);
    expect(listeners()).toEqual([before[0]! + 1, before[1]! + 1, before[2]! + 1]);
    let done = false;
    void Promise.all(waits).then(() => {
      done = true;
    });
    // Each write is held until released: release them one by one until the stream drains.
    while (!done) {
      release();
      await tick();
    }
    expect(listeners()).toEqual(before);
    expect(writes.join("")).toBe(Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(""));
  });

  it("turns the stream's failure into an OutputError: on the next line, and for a waiting caller", async () => {
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const writer = new LineWriter(broken, "standard output", 4);
    await expect(writer.add("12345")).rejects.toMatchObject({
      code: "AMORSIZE_OUTPUT_FAILED",
      message: "standard output: cannot write (the reader closed it)",
      brokenPipe: true,
    });
    expect(() => writer.add("6")).toThrow(OutputError);
    await expect(writer.finish()).rejects.toThrow("standard output: cannot write (the reader closed it)");
  });
});

describe("openOutFile", () => {
  it("writes a temporary file beside the destination and renames it into place", async () => {
    const path = join(dir, "results.jsonl");
    writeFileSync(path, "old\n");
    const out = await openOutFile(path, () => "fixed");
    expect(readdirSync(dir)).toContain(".results.jsonl.fixed.tmp");
    const writer = new LineWriter(out.stream, out.where);
    writer.add("1");
    await writer.finish();
    expect(readFileSync(path, "utf8")).toBe("old\n");
    await out.commit();
    expect(readFileSync(path, "utf8")).toBe("1\n");
    expect(existsSync(join(dir, ".results.jsonl.fixed.tmp"))).toBe(false);
  });

  it("replaces the target of a link at the destination, not the link", async () => {
    const target = join(dir, "real.jsonl");
    const link = join(dir, "link.jsonl");
    writeFileSync(target, "old\n");
    symlinkSync(target, link);
    const out = await openOutFile(link);
    out.stream.write("new\n");
    await out.commit();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("new\n");
  });

  it("discard() leaves the destination as it was and no temporary file", async () => {
    const folder = mkdtempSync(join(dir, "discard-"));
    const path = join(folder, "out.jsonl");
    writeFileSync(path, "kept\n");
    const out = await openOutFile(path);
    out.stream.write("lost\n");
    await out.discard();
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
    expect(readFileSync(path, "utf8")).toBe("kept\n");
  });

  it("fails at once for a folder, or a destination whose folder is not one", async () => {
    await expect(openOutFile(dir)).rejects.toThrow(`--out ${dir}: cannot write (is a folder)`);
    const file = join(dir, "plain");
    writeFileSync(file, "");
    await expect(openOutFile(join(file, "x"))).rejects.toThrow(/cannot write \(not a directory\)$/);
    await expect(openOutFile(join(dir, "none", "x"))).rejects.toThrow(/cannot write \(no such folder\)$/);
  });

  it("says so when no file can be created in a folder that exists", async () => {
    // Creating a file in /proc fails with ENOENT: it read "no such folder".
    await expect(openOutFile("/proc/amorsize-out")).rejects.toThrow(
      "--out /proc/amorsize-out: cannot write (no file can be created in /proc)",
    );
  });

  it("writes a device in place: /dev/null stays a device, /dev/full says the disk is full", async () => {
    const nul = await openOutFile("/dev/null");
    nul.stream.write("anything\n");
    await nul.commit();
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    const full = await openOutFile("/dev/full");
    const writer = new LineWriter(full.stream, full.where);
    writer.add("1");
    await expect(writer.finish()).rejects.toThrow("--out /dev/full: cannot write (no space left on device)");
    await full.discard();
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});

describe("createTemporary", () => {
  it("never opens what is at the name: a planted link is left alone and another name is used", async () => {
    const target = join(dir, "precious.txt");
    writeFileSync(target, "precious\n");
    symlinkSync(target, join(dir, ".out.taken.tmp"));
    const names = ["taken", "free"];
    const temporary = await createTemporary(dir, "out", () => names.shift()!);
    expect(temporary.path).toBe(join(dir, ".out.free.tmp"));
    await temporary.handle.writeFile("results\n");
    await temporary.handle.close();
    expect(readFileSync(target, "utf8")).toBe("precious\n");
  });

  it("gives up after ten names taken", async () => {
    writeFileSync(join(dir, ".busy.same.tmp"), "");
    await expect(createTemporary(dir, "busy", () => "same")).rejects.toMatchObject({ code: "EEXIST" });
  });
});

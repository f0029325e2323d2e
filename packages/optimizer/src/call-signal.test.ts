import { getEventListeners } from "node:events";
import { describe, expect, it } from "@jest/globals";
import { joinSignals } from "./call-signal.js";

describe("joinSignals", () => {
  it("aborts with the reason of whichever signal aborts first", () => {
    for (const which of [0, 1]) {
      const sources = [new AbortController(), new AbortController()] as const;
      const joined = joinSignals(sources[0].signal, sources[1].signal);
      const reason = new Error(`source ${which}`);
      sources[which]!.abort(reason);
      sources[1 - which]!.abort(new Error("later"));
      expect(joined.signal.reason).toBe(reason);
    }
  });

  it("is aborted from the start when a source is, with the first such source's reason", () => {
    const first = AbortSignal.abort(new Error("first"));
    const second = AbortSignal.abort(new Error("second"));
    expect(joinSignals(new AbortController().signal, second).signal.reason).toBe(second.reason);
    expect(joinSignals(first, second).signal.reason).toBe(first.reason);
  });

  it("holds one listener on each source until released or aborted, then none", () => {
    const session = new AbortController();
    const caller = new AbortController();
    const calls = Array.from({ length: 5 }, () => joinSignals(session.signal, caller.signal));
    expect(getEventListeners(session.signal, "abort")).toHaveLength(5);
    for (const call of calls.slice(0, 4)) call.release();
    calls[0]!.release();
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(1);
    caller.abort();
    expect(calls.map((call) => call.signal.aborted)).toEqual([false, false, false, false, true]);
    expect(getEventListeners(session.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
  });
});

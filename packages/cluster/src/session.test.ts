import { describe, expect, it } from "@jest/globals";
import { RedisLostError } from "./errors.js";
import { resolveClusterOptions } from "./options.js";
import { ClusterSession, type RunListener } from "./session.js";

/** A run listener that records how it was ended. */
function listener(): RunListener & { ended: Error[] } {
  const ended: Error[] = [];
  return { ended, completed: () => {}, failed: () => {}, abort: (error) => void ended.push(error) };
}

describe("ClusterSession.join(): a run that joins a link already lost", () => {
  const session = new ClusterSession(resolveClusterOptions({ connection: "redis://127.0.0.1:6399" }));

  it("ends at once with RedisLostError carrying the loss's cause", () => {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:6399");
    const run = listener();
    session.join("r1", run, { gone: true, lossCause: cause, address: "127.0.0.1:6399" });
    expect(run.ended).toHaveLength(1);
    const [error] = run.ended as [RedisLostError];
    expect(error).toBeInstanceOf(RedisLostError);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      "Lost the connection to Redis at 127.0.0.1:6399 during the run: connect ECONNREFUSED 127.0.0.1:6399",
    );
  });

  it("is kept when the link is up", () => {
    const run = listener();
    session.join("r2", run, { gone: false, lossCause: undefined, address: "127.0.0.1:6399" });
    expect(run.ended).toEqual([]);
    session.leave("r2");
  });
});

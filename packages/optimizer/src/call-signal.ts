// One session call's stop signal: the session's and the caller's joined, for that call only.

/** A signal that aborts when either given one does (with its reason), until `release()`. */
export interface JoinedSignal {
  signal: AbortSignal;
  /** The call ended: its listeners leave both signals. Idempotent. */
  release(): void;
}

/**
 * Joins two signals for one call. Not `AbortSignal.any()`: that links the joined signal into
 * each source's set of dependants, and a long-lived source (the session's stop signal, a
 * server's shutdown signal) keeps an entry per call (Node 20: for good, nodejs/node#55351;
 * later: until a collection finds the joined signal gone, and for good while it has an abort
 * listener, nodejs/node#64476). Here each source holds one listener while the call runs.
 */
export function joinSignals(first: AbortSignal, second: AbortSignal): JoinedSignal {
  const controller = new AbortController();
  const already = first.aborted ? first : second.aborted ? second : null;
  if (already !== null) {
    controller.abort(already.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onFirst = () => stop(first);
  const onSecond = () => stop(second);
  const release = () => {
    first.removeEventListener("abort", onFirst);
    second.removeEventListener("abort", onSecond);
  };
  const stop = (source: AbortSignal) => {
    release();
    controller.abort(source.reason);
  };
  first.addEventListener("abort", onFirst);
  second.addEventListener("abort", onSecond);
  return { signal: controller.signal, release };
}

// Whether the event loop turned while a timed unit's promises were pending: thin I/O
// around one setImmediate, read by the session (see asyncItemsWait).

/**
 * Watches for the event loop reaching its check phase, where an immediate runs. A promise
 * that settles through microtasks alone (an async function that only computes, as a
 * minifier's promise API) settles before that; one that waits for a timer or I/O cannot,
 * since the loop must turn to poll for it. Load and clocks do not enter into it.
 */
export class LoopProbe {
  private turned = false;
  private handle: ReturnType<typeof setImmediate> | null = null;
  private readonly onTurn = (): void => {
    this.turned = true;
    this.handle = null;
  };

  /** Starts watching (watching already, or the loop seen to turn: nothing to do). */
  watch(): void {
    if (this.handle === null && !this.turned) this.handle = setImmediate(this.onTurn);
  }

  /** Whether the loop turned since watching started; stops watching, for the next unit. */
  take(): boolean {
    if (this.handle !== null) clearImmediate(this.handle);
    this.handle = null;
    const turned = this.turned;
    this.turned = false;
    return turned;
  }
}

/**
 * One party waiting until another says go on: a run's loop waiting for a free slot or a
 * stream's consumer waiting for results. A later wait replaces an earlier one.
 */
export class Wakeup {
  private waiter: (() => void) | null = null;

  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Resolves the wait in progress, if any. */
  wake(): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter();
    }
  }
}

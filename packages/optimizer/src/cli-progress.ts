// The progress line `amorsize run` draws on a terminal: one line that fits the terminal's
// width (a longer one wraps, and every redraw then leaves a stale line behind), redrawn at
// most ten times a second, and erased when the run ends.
import { performance } from "node:perf_hooks";
import type { Progress } from "@amorsize/types";

/** Least time between two redraws, milliseconds: ten a second look live and cost nothing. */
export const REDRAW_INTERVAL_MS = 100;

/** The widest bar drawn; a narrower terminal gets a narrower one, or none. */
const BAR_WIDTH = 30;
/** A bar narrower than this tells nothing the counts do not: it is left out. */
const MIN_BAR_WIDTH = 8;

/** Erases from the cursor to the end of the line: what an earlier, longer line left there. */
const ERASE_TO_END = "\x1b[K";

function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * The progress line for a terminal `columns` wide, at most `columns - 1` characters (the
 * last column is left free: some terminals wrap as soon as it is written). The bar is
 * dropped when it would be too narrow to read, and the text is cut when it alone is too wide.
 */
export function progressLine(p: Progress, columns: number): string {
  const counts = `${p.done}${p.total ? `/${p.total}` : ""}`;
  const failed = p.failed ? ` (${p.failed} failed)` : "";
  const eta = p.etaMs !== undefined && p.done !== p.total ? ` eta ${seconds(p.etaMs)}` : "";
  const text = `${counts}${failed}${eta}`;
  const room = Math.max(1, columns - 1);
  // "[", "] " around the bar.
  const barWidth = Math.min(BAR_WIDTH, room - text.length - 3);
  if (!p.total || barWidth < MIN_BAR_WIDTH) return text.slice(0, room);
  const filled = Math.round(Math.min(1, p.done / p.total) * barWidth);
  return `[${"#".repeat(filled).padEnd(barWidth, ".")}] ${text}`;
}

/** Where the line is drawn: standard error when it is a terminal (`columns` is its width). */
export interface ProgressTerminal {
  write(text: string): unknown;
  columns?: number;
}

/** A progress line on `terminal`; `update()` redraws it (throttled), `clear()` erases it. */
export class ProgressDisplay {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly terminal: ProgressTerminal,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Redraws the line, unless the last redraw was less than {@link REDRAW_INTERVAL_MS} ago. */
  readonly update = (p: Progress): void => {
    const now = this.now();
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    // Read each time: the terminal may have been resized since the last redraw.
    this.terminal.write(`\r${progressLine(p, this.terminal.columns ?? 80)}${ERASE_TO_END}`);
  };

  /** Erases the line, leaving the cursor at its start, where the next output begins. */
  clear(): void {
    if (this.drawn) this.terminal.write(`\r${ERASE_TO_END}`);
    this.drawn = false;
  }
}

/** A running latency proxy (see proxy.mjs). */
export interface DelayProxy {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Milliseconds each chunk waits, in each direction. */
  readonly delayMs: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections open now. */
  readonly connections: number;
  /** Connections accepted since it started. */
  readonly accepted: number;
  /** Drops every connection open now and keeps listening; resolves once their sockets have closed. */
  drop(): Promise<void>;
  /** Stops listening, drops every connection and timer; resolves once every socket has closed. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port that forwards every connection to
 * `upstreamHost:upstreamPort`, each chunk delayed `delayMs` in each direction, in order;
 * with `passFirst`, connections after the first `passFirst` are dropped as they come; with
 * `bytesPerSecond`, each direction of each connection moves at most that many bytes a second.
 */
export function startDelayProxy(options: {
  upstreamHost?: string;
  upstreamPort: number;
  delayMs: number;
  passFirst?: number;
  bytesPerSecond?: number;
}): Promise<DelayProxy>;

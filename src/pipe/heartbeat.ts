/**
 * `ws.inactivity.timeout`: a connection nobody hears from is found and closed, so that half-dead peers (a phone
 * that lost its network, a NAT that dropped the mapping) do not hold a backend connection forever.
 *
 * Connections with the same timeout share one timer (timers/ticker.ts), which ticks each of them every timeoutMs/2
 * at a point of its own in that period. A connection's first tick after it joins starts its watch; a tick that
 * follows a quiet half-period sends a ping; a second quiet tick in a row closes the connection. So a ping goes out
 * after timeoutMs/2 to timeoutMs of silence, and the connection is closed after timeoutMs to 1.5 × timeoutMs of
 * silence. Hearing anything (a message, a pong,
 * a ping) starts over. The message path only sets a flag: no timer is touched per message or per connection.
 *
 * On timeout the peer gets a close frame with 1001 (going away: RFC 6455 §7.4.1, "a server going down" — here,
 * going away from this connection) and reason "inactivity timeout", and the connection is dropped at once
 * without waiting for the closing handshake, as Kaazing closes the connection: a peer that answered no ping
 * for timeoutMs is not expected to answer a close frame either.
 */
import WebSocket from 'ws';
import { Ticker } from '../timers/ticker.js';
import { CLOSE_GOING_AWAY, INACTIVITY_CLOSE_REASON } from './close.js';

export { INACTIVITY_CLOSE_REASON };
export const INACTIVITY_CLOSE_CODE = CLOSE_GOING_AWAY;

/** Tickers by period: every connection with one timeout shares one. */
const tickers = new Map<number, Ticker>();

function tickerFor(periodMs: number): Ticker {
  let ticker = tickers.get(periodMs);
  if (!ticker) {
    ticker = new Ticker(periodMs);
    tickers.set(periodMs, ticker);
  }
  return ticker;
}

/** The half-timeout at which a connection's silence is looked at. */
export function keepAlivePeriodMs(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs / 2));
}

/**
 * Pings when the connection has been quiet for timeoutMs/2; closes it when nothing (message, pong) arrived for
 * timeoutMs. `timeoutMs <= 0` means off (Kaazing's default). Returns a disposer, safe to call twice; it also runs
 * by itself when the WebSocket closes.
 *
 * `held` says whether the gateway itself stopped reading this client (backpressure from a slow backend): then
 * nothing can be heard from it, and the quiet is the gateway's doing, not the client's; it is pinged at each tick
 * all the same, which finds a client that is gone. Unless the client is what holds it: one whose ping is still
 * unwritten a tick later has not made room for what is queued ahead of it, so it does not read, and the backend it
 * stalls (and through it the gateway's reading) waits on it; its quiet counts. `ticker` is for tests; its period
 * must be keepAlivePeriodMs(timeoutMs).
 */
export function keepAlive(
  ws: WebSocket,
  timeoutMs: number,
  onTimeout?: () => void,
  held: () => boolean = () => false,
  ticker?: Ticker,
): () => void {
  if (!(timeoutMs > 0) || ws.readyState === WebSocket.CLOSED) return noop;
  const periodMs = keepAlivePeriodMs(timeoutMs);
  if (ticker !== undefined && ticker.periodMs !== periodMs) throw new RangeError(`a ${timeoutMs} ms keep-alive needs a ${periodMs} ms ticker, not ${ticker.periodMs}`);
  ticker ??= tickerFor(periodMs);
  const watch = new Watch(ws, ticker, onTimeout, held);
  ticker.add(watch);
  ws.on('message', watch.hear);
  ws.on('pong', watch.hear);
  ws.on('ping', watch.hear);
  ws.on('close', watch.dispose);
  return watch.dispose;
}

/** One connection's silence, ticked by its period's ticker. */
class Watch {
  /** Joins as if just heard: the first tick starts the quiet period rather than counting as quiet. */
  #heard = true;
  #quietTicks = 0;
  #disposed = false;
  /** A ping written into the socket is still waiting there, behind bytes the peer has not made room for. */
  #pingWaiting = false;

  constructor(
    readonly ws: WebSocket,
    readonly ticker: Ticker,
    readonly onTimeout: (() => void) | undefined,
    readonly held: () => boolean,
  ) {}

  readonly hear = (): void => {
    this.#heard = true;
  };

  readonly #pingWritten = (): void => {
    this.#pingWaiting = false;
  };

  #ping(): void {
    this.#pingWaiting = true;
    this.ws.ping(undefined, undefined, this.#pingWritten);
  }

  tick(): void {
    const ws = this.ws;
    if (this.#heard) {
      this.#heard = false;
      this.#quietTicks = 0;
      return;
    }
    if (this.held() && !this.#pingWaiting) {
      // Its answer cannot be read while it is held, so its quiet does not count; but a ping is still a write, and a
      // write to a client that is gone fails and closes the connection: at once after a reset, once TCP has given up
      // on a client lost to the network. Unread, its going would only be noticed once the backend takes data again,
      // which it may never do.
      this.#quietTicks = 0;
      if (ws.readyState === WebSocket.OPEN) this.#ping();
      return;
    }
    // Quiet: not held, or held with the last tick's ping still unwritten. The second is a client that has not made
    // room for the bytes queued ahead of it (at most maximum.pending.bytes) in a whole period: it reads nothing, and
    // the backend its echo stalls, and through it the gateway's reading of this client, wait on it.
    this.#quietTicks++;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.#quietTicks === 1) {
      if (!this.#pingWaiting) this.#ping();
      return;
    }
    this.dispose();
    this.onTimeout?.();
    ws.close(INACTIVITY_CLOSE_CODE, INACTIVITY_CLOSE_REASON);
    ws.terminate();
  }

  readonly dispose = (): void => {
    if (this.#disposed) return;
    this.#disposed = true;
    this.ticker.delete(this);
    const ws = this.ws;
    ws.removeListener('message', this.hear);
    ws.removeListener('pong', this.hear);
    ws.removeListener('ping', this.hear);
    ws.removeListener('close', this.dispose);
  };
}

function noop(): void {}

/**
 * Kaazing's `connect.strategy prepared` with `prepared.connection.count`: backend connections opened ahead of
 * clients, so that a client's connect costs no round trip to the backend. The pool keeps `count` connections
 * ready; `take()` hands one out and at once starts opening its replacement. It never waits: with none ready the
 * caller connects as it would without the pool.
 *
 * What a connection is stays outside: the pool gets a factory and two adapters (how to learn that one can no longer
 * be handed out, and why; how to close one), so it serves WebSockets and sockets alike and tests drive it with
 * fakes. What a backend sends on a connection while it waits is the adapter's to keep for the client that takes it.
 *
 * When opening fails, the pool stops opening and retries one connection after 1, 2, 4 … s, capped at
 * `maxRetryIntervalMs` (the Recovery state machine), then fills again once one succeeds. A ready connection that
 * ends while idle is dropped and replaced; one that ends sooner than `minLifetimeMs` after it opened counts as a
 * failed open, so that a backend that accepts and at once hangs up is not reconnected to in a tight loop. Who ended
 * it (the backend, or the gateway, through its adapter) is said in what the pool reports.
 *
 * Events:
 * - `'down'` (error: GatewayError): opening failed (or a connection ended right after opening); only retries run
 *   now. It says the pool cannot keep connections ready, which is not always that the backend is unreachable.
 * - `'retry'` (error: unknown, delayMs: number): a retry failed; the next one runs after delayMs.
 * - `'up'` (): a retry succeeded; the pool fills again.
 * - `'dropped'` (error: GatewayError): the adapter closed a ready connection that had lived past `minLifetimeMs`
 *   (`GW_ERR_UPSTREAM_PREPARED`: its backend sent more than it holds for a client); it is replaced.
 * - `'ended'` (error: GatewayError, failed: boolean): a ready connection that had lived past `minLifetimeMs` was
 *   closed by its backend (failed false: a backend's own idle timeout, say), or failed (lost, or closed for its
 *   silence by `ws.inactivity.timeout`); it is replaced.
 */
import { EventEmitter } from 'node:events';
import { GatewayError } from '../errors.js';
import { unrefTimer, type SetTimer } from './connector.js';
import { Cancellation } from './cancellation.js';
import { Recovery } from './recovery.js';

export interface PreparedOptions<T> {
  /** How many connections to keep ready (`prepared.connection.count`), at least 1. */
  count: number;
  /**
   * Opens one connection; the cancellation fires when the pool stops, and the open must then settle at once (reject,
   * or resolve if it had completed): stop() waits for it.
   */
  open: (cancellation: Cancellation) => Promise<T>;
  /**
   * Calls `onClosed` once when `connection` can no longer be handed out: it closed or failed, or the adapter is
   * closing it (at once if it already has), with how it ended where the adapter knows; returns a function that
   * stops watching it, called when the connection is taken, has ended, or the pool stops.
   */
  onClose: (connection: T, onClosed: (ending?: IdleEnding) => void) => () => void;
  /**
   * Closes a connection nobody took (at stop(), or one opened after it) as a client's is closed: gracefully, within
   * a deadline of the adapter's. Resolves once it is closed; never rejects.
   */
  close: (connection: T) => Promise<void>;
  /** The longest wait between retries, in ms. Default 30 000. */
  maxRetryIntervalMs?: number | undefined;
  /** A ready connection closing sooner than this after it opened counts as a failed open. Default 1000 ms. */
  minLifetimeMs?: number | undefined;
  /** What messages name, e.g. the connect URI. */
  name?: string | undefined;
  /** Timer between retries (default: an unref'd setTimeout); injected by tests. */
  setTimer?: SetTimer | undefined;
  /** Clock in ms for minLifetimeMs (default performance.now); injected by tests. */
  now?: (() => number) | undefined;
}

/** How a ready connection ended while it waited, as its adapter saw it. */
export interface IdleEnding {
  /**
   * `closed`: the backend closed it cleanly (a FIN, a close frame); `failed`: it failed (a reset, an error, a
   * WebSocket lost); `dropped`: the adapter closed it (its backend sent more than the adapter holds for a client).
   */
  readonly how: 'closed' | 'failed' | 'dropped';
  /** What there is to add: a close code, the error (`error: ECONNRESET`), why the adapter closed it. */
  readonly reason?: string | undefined;
}

export const DEFAULT_MAX_RETRY_INTERVAL_MS = 30_000;
export const DEFAULT_MIN_LIFETIME_MS = 1000;

interface Idle {
  readonly openedAt: number;
  stopListening: () => void;
}

function noop(): void {
  // The listener of an idle connection is replaced by the adapter's remover as soon as it is added.
}

export class PreparedConnections<T> extends EventEmitter {
  readonly #count: number;
  readonly #open: (cancellation: Cancellation) => Promise<T>;
  readonly #onClose: (connection: T, onClosed: (ending?: IdleEnding) => void) => () => void;
  readonly #close: (connection: T) => Promise<void>;
  readonly #minLifetimeMs: number;
  readonly #name: string;
  readonly #now: () => number;
  readonly #recovery: Recovery;
  readonly #cancellation = new Cancellation();
  /** Ready connections in the order they opened: take() hands out the oldest, so each is used in turn. */
  readonly #idle = new Map<T, Idle>();
  #opening = 0;
  #state: 'new' | 'running' | 'stopped' = 'new';
  /** Settled once the connections idle at stop(), and those whose open was under way, are closed. */
  #stopped: Promise<void> | undefined;
  /** Opens under way (to fill the pool, or a retry), each settled once its connection is listed or closed. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(opts: PreparedOptions<T>) {
    super();
    if (!Number.isInteger(opts.count) || opts.count < 1) {
      throw new GatewayError('GW_ERR_INTERNAL', `a prepared connection pool needs a count of at least 1, got ${String(opts.count)}`);
    }
    this.#count = opts.count;
    this.#open = opts.open;
    this.#onClose = opts.onClose;
    this.#close = opts.close;
    this.#minLifetimeMs = opts.minLifetimeMs ?? DEFAULT_MIN_LIFETIME_MS;
    this.#name = opts.name ?? 'the backend';
    this.#now = opts.now ?? (() => performance.now());
    this.#recovery = new Recovery({
      // A retry is one connection, kept as a ready one when it opens.
      probe: () => this.#openOne(),
      maxIntervalMs: opts.maxRetryIntervalMs ?? DEFAULT_MAX_RETRY_INTERVAL_MS,
      setTimer: opts.setTimer ?? unrefTimer,
      // A retry succeeds when its connection opens; one the backend then closes at once is no recovery, and the
      // waits go on growing (1, 2, 4 … s) rather than starting again from 1 s.
      stableMs: this.#minLifetimeMs,
      now: this.#now,
    });
    this.#recovery.on('down', (err: unknown) => this.emit('down', err));
    this.#recovery.on('retry', (err: unknown, delayMs: number) => this.emit('retry', err, delayMs));
    this.#recovery.on('up', () => {
      this.emit('up');
      this.#fill();
    });
  }

  /** Connections ready to be taken. */
  get ready(): number {
    return this.#idle.size;
  }

  /** False after a failed open until a retry succeeds. */
  get up(): boolean {
    return this.#recovery.up;
  }

  /** Starts opening connections. Separate from the constructor so that `gateway check` opens none. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    this.#fill();
  }

  /** A ready connection, now the caller's (the pool no longer watches it), or undefined when none is ready. */
  take(): T | undefined {
    const first = this.#idle.entries().next();
    if (first.done === true) return undefined;
    const [connection, idle] = first.value;
    this.#idle.delete(connection);
    idle.stopListening();
    this.#fill();
    return connection;
  }

  /**
   * Closes the connections nobody took (as the adapter closes them: gracefully) and stops opening and retrying.
   * Resolves once they are closed, and so are those whose open completed too late to be cancelled; every call
   * returns the same promise.
   */
  stop(): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#state = 'stopped';
    this.#recovery.stop();
    this.#cancellation.cancel(new GatewayError('GW_ERR_STATE', `the prepared connections to ${this.#name} were stopped`));
    const idle = [...this.#idle];
    this.#idle.clear();
    const closing: Promise<void>[] = [];
    for (const [connection, { stopListening }] of idle) {
      stopListening();
      closing.push(this.#close(connection));
    }
    // Opens in flight were cancelled and settle at once, but one may have completed just before: it is closed too.
    this.#stopped = Promise.all([...closing, ...this.#inFlight]).then(() => undefined);
    return this.#stopped;
  }

  #fill(): void {
    // While down only the retry opens connections, so that a dead backend costs one attempt per interval.
    while (this.#state === 'running' && this.#recovery.up && this.#idle.size + this.#opening < this.#count) {
      this.#openOne().catch((err: unknown) => {
        if (this.#state === 'running') this.#recovery.reportFailure(err);
      });
    }
  }

  /** #openAndList, listed as under way until it settles; rejects as the open does. */
  #openOne(): Promise<void> {
    const opening = this.#openAndList();
    const settled = opening.then(noop, noop);
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return opening;
  }

  /** Resolves once the connection is ready, or closed because it is not wanted any more. */
  async #openAndList(): Promise<void> {
    this.#opening++;
    let connection: T;
    try {
      connection = await this.#open(this.#cancellation);
    } finally {
      this.#opening--;
    }
    if (this.#state !== 'running') {
      await this.#close(connection);
      return;
    }
    // No count check is needed here: opens start only below the count, and while down (when the retry opens one)
    // a failed open or a closed connection has just made room.
    const idle: Idle = { openedAt: this.#now(), stopListening: noop };
    // Listed before listening: an adapter may report a connection that closed already at once.
    this.#idle.set(connection, idle);
    idle.stopListening = this.#onClose(connection, (ending) => this.#endedWhileIdle(connection, ending));
  }

  #endedWhileIdle(connection: T, ending: IdleEnding | undefined): void {
    const idle = this.#idle.get(connection);
    if (idle === undefined) return;
    this.#idle.delete(connection);
    idle.stopListening();
    if (this.#state !== 'running') return;
    const lived = this.#now() - idle.openedAt;
    if (lived < this.#minLifetimeMs) this.#recovery.reportFailure(this.#describe(ending, lived));
    else if (ending?.how === 'dropped') this.emit('dropped', this.#describe(ending, lived));
    else this.emit('ended', this.#describe(ending, lived), ending?.how === 'failed');
    this.#fill();
  }

  /** What happened to an idle connection, naming who ended it: the backend, or the gateway. */
  #describe(ending: IdleEnding | undefined, lived: number): GatewayError {
    const after = `${Math.round(lived)} ms after it opened`;
    const reason = ending?.reason;
    switch (ending?.how) {
      case 'dropped':
        return new GatewayError('GW_ERR_UPSTREAM_PREPARED', `the gateway closed a prepared connection to ${this.#name} ${after}${reason === undefined ? '' : `: ${reason}`}`);
      case 'failed':
        return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `a prepared connection to ${this.#name} failed ${after}${reason === undefined ? '' : `: ${reason}`}`);
      default:
        return new GatewayError('GW_ERR_UPSTREAM_CONNECT', `${this.#name} closed a prepared connection ${after}${reason === undefined ? '' : ` (${reason})`}`);
    }
  }
}

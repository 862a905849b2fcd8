/**
 * The copy loop between a client (downstream) and a backend (upstream), each an End (ends.ts): a byte stream or
 * a message stream. It maps between the kinds and knows nothing of the transports or the configuration. Kaazing's
 * proxy semantics (KAAZING.md "The proxy service"):
 *
 * - messages → bytes: the payload of every text and binary message is written as raw bytes; boundaries are lost, so a
 *   large binary message goes on in pieces as it arrives (ends.ts, forBytes).
 *   bytes → messages: every chunk read leaves at once as one binary message. messages → messages: type (text or
 *   binary) and boundaries are kept. bytes → bytes: chunks as read.
 * - Backpressure per direction: bytes handed to the writing end whose completion has not fired are counted; above
 *   `maximumPendingBytes` the reading end is paused, and it resumes when the count falls to half.
 * - A side that ends gracefully (FIN, close frame) ends the other after what is queued: a FIN, or a close frame
 *   carrying the same code and reason when both sides are WebSockets (1000 from a FIN). A side that fails or goes
 *   without a clean end (a reset, a lost WebSocket, a protocol error, an inactivity timeout) makes the other side
 *   fail too: a WebSocket client is told with 1011 and a reason, anything else is destroyed, so a backend never
 *   takes a lost client for a clean end. The first cause is what the result reports.
 * - A side that has not finished closing `closeTimeoutMs` after the first side began is destroyed; after a
 *   half-close (one side ended cleanly, the other still answering) the time counts from the last byte forwarded or
 *   written, and not at all while bytes wait for a reader slow to take them, so a long answer is not cut. A WebSocket whose peer's close is held (ends.ts) is answered at the
 *   deadline instead, and destroyed if it has not closed one deadline later.
 * - ECONNRESET and EPIPE are ordinary ways for a connection to end: they are reported in the result, never thrown.
 *
 * fuse() owns both ends until it resolves: it attaches to them (detaching before it resolves) and may pause and
 * resume either. To end a pipe from outside, close the downstream end (`close(1001, …)` when the gateway stops): the
 * upstream is then ended as for a client close.
 */
import { DeadlineList, type Deadline } from '../timers/deadlines.js';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_NORMAL, closeReason, endedCause, failedCause, type CloseCause } from './close.js';
import type { End, EndSink, Ending } from './ends.js';
import { PendingWrites, WRITE_OVERHEAD_BYTES } from './pending.js';

/** A chunk read, or a message: what one side sent before the pipe began. */
export interface Payload {
  readonly data: Buffer | readonly Buffer[];
  readonly binary: boolean;
}

export interface PipeOptions {
  /** maximum.pending.bytes: bytes queued per direction before the source is paused; resumes at half. */
  maximumPendingBytes: number;
  /** What the downstream sent before the upstream was connected (deferred connect), written first. */
  initial?: readonly Payload[] | undefined;
  /**
   * What the upstream sent before the pipe began (a connection opened ahead of its client: a greeting), written to
   * the downstream first, in order, ahead of anything the upstream sends next.
   */
  held?: readonly Payload[] | undefined;
  /**
   * How long to wait for a closing handshake / final flush before destroying; after a half-close, how long the side
   * still open may be silent. Default 5 s (`close.timeout`).
   */
  closeTimeoutMs?: number | undefined;
  /** Live byte counts (downstream → upstream as `bytesIn`), added to as payload is forwarded. */
  traffic?: { bytesIn: number; bytesOut: number } | undefined;
  /**
   * `idle.timeout`: a pipe through which no byte has moved either way (forwarded, or taken by the side it was
   * written to) for this long is closed, and a side with bytes still waiting for it is reset. 0 or undefined: never.
   */
  idleTimeoutMs?: number | undefined;
}

export interface PipeResult {
  /** Bytes handed to the upstream (`initial` included): payload only, no frame headers. */
  bytesDownstreamToUpstream: number;
  /** Bytes handed to the downstream (`held` included): payload only. */
  bytesUpstreamToDownstream: number;
  /**
   * Who ended the pipe: 'downstream' when the client closed (close frame, FIN, or the connection lost); 'upstream'
   * when the backend closed gracefully; 'error' when the gateway ended it because something failed: an upstream
   * error, reset or loss, a downstream protocol violation or oversized message, an inactivity timeout.
   */
  closedBy: 'downstream' | 'upstream' | 'error';
  /** Log reason: 'downstream closed (1000)', 'upstream closed', 'upstream error: ECONNRESET', 'message too big (1009)'… */
  reason: string;
  /** The same, for a metric's label (close.ts). */
  cause: CloseCause;
  /** The WebSocket close code the downstream sent or was sent, when the downstream is a WebSocket. */
  code: number | undefined;
  /** The error behind closedBy 'error', when there was one. */
  error?: unknown;
  /** True when a side had to be destroyed because it did not finish closing within closeTimeoutMs. */
  forced: boolean;
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/**
 * Close codes that say the connection failed rather than ended (RFC 6455 §7.4.1: protocol error, unacceptable or
 * inconsistent data, policy, too big, a missing extension, an internal error, a restart, try again later, a bad
 * gateway). 1000 and 1001 (going away: a page left, a gateway draining after what it had sent) end it, as do the
 * applications' own 3000–4999.
 */
function reportsFailure(code: number | undefined): boolean {
  return code !== undefined && code >= 1002 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** Pipes until both ends are closed; never rejects. */
export function fuse(downstream: End, upstream: End, options: PipeOptions): Promise<PipeResult> {
  return new Promise<PipeResult>((resolve) => {
    new Fuse(downstream, upstream, options, resolve).start();
  });
}

/** Close deadlines by duration: every pipe closing with the same timeout shares one list and one timer. */
const closeDeadlines = new Map<number, DeadlineList>();

function closeDeadline(ms: number, onExpire: () => void): Deadline {
  let list = closeDeadlines.get(ms);
  if (!list) {
    list = new DeadlineList(ms);
    closeDeadlines.set(ms, list);
  }
  return list.add(onExpire);
}

type Side = 'downstream' | 'upstream';

/** One direction of the pipe: what is read on `from` is written to `to`. */
class Direction {
  readonly pending = new PendingWrites();
  bytes = 0;
  paused = false;

  constructor(
    readonly from: End,
    readonly to: End,
  ) {}
}

class Fuse {
  readonly #down: End;
  readonly #up: End;
  readonly #resolve: (result: PipeResult) => void;
  readonly #max: number;
  readonly #resumeAt: number;
  readonly #closeTimeoutMs: number;
  /** 0: no idle deadline. */
  readonly #idleTimeoutMs: number;
  /** The idle check, every half of idleTimeoutMs; a byte moved since the last (set on the hot path: a store, no timer). */
  #idleTick: Deadline | undefined;
  #idleMoved = false;
  /** Checks in a row that found nothing moved: two make the pipe idle. */
  #idleQuiet = 0;
  /** Written first at start(), then let go. */
  #initial: PipeOptions['initial'];
  #held: PipeOptions['held'];
  readonly #traffic: PipeOptions['traffic'];
  /** downstream → upstream, and back. */
  readonly #toUpstream: Direction;
  readonly #toDownstream: Direction;
  #downstreamDone = false;
  #upstreamDone = false;
  /** Sides that have reported how they ended (cleanly, lost or failed): their 'closed' is then no abort. */
  #downstreamSettled = false;
  #upstreamSettled = false;
  #closeDeadline: Deadline | undefined;
  /**
   * One side has ended cleanly and the other may still answer it (a request, then its response): the close
   * deadline then counts from the last thing forwarded, so a long answer is not cut.
   */
  #halfClosed = false;
  /** After a half-close, the direction of the answer to the side that ended first. */
  #answer: Direction | undefined;
  /** How many bytes had gone that way when the half-close began: none since, and the side got no answer at all. */
  #answerFrom = 0;
  /** The close deadline has passed once, and a held close was answered: the next one destroys what is left. */
  #lastDeadline = false;
  #finished = false;

  #closedBy: PipeResult['closedBy'] | undefined;
  #reason = '';
  #cause: CloseCause = 'downstream_lost';
  #code: number | undefined;
  #error: unknown;
  #forced = false;

  constructor(down: End, up: End, options: PipeOptions, resolve: (result: PipeResult) => void) {
    this.#down = down;
    this.#up = up;
    this.#resolve = resolve;
    this.#max = Math.max(0, options.maximumPendingBytes);
    this.#resumeAt = Math.floor(this.#max / 2);
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.#initial = options.initial;
    this.#held = options.held;
    this.#traffic = options.traffic;
    this.#toUpstream = new Direction(down, up);
    this.#toDownstream = new Direction(up, down);
  }

  start(): void {
    if (this.#down.kind === 'bytes') this.#up.forBytes?.();
    if (this.#up.kind === 'bytes') this.#down.forBytes?.();
    // What the backend sent before its client came goes first: written before the upstream is attached, so that an
    // end the upstream reports at attach (it closed meanwhile) follows it.
    const held = this.#held;
    this.#held = undefined;
    for (const m of held ?? []) this.#forward(this.#toDownstream, m.data, m.binary);
    this.#up.attach(this.#sink('upstream'));
    // What the client sent while the backend was being connected goes first, ahead of what it sends next.
    const initial = this.#initial;
    this.#initial = undefined;
    for (const m of initial ?? []) this.#forward(this.#toUpstream, m.data, m.binary);
    this.#down.attach(this.#sink('downstream'));
    // Attaching an end resumes its reading (ends.ts): one whose direction what went first has already filled past
    // the limit is paused again, or it would be read without bound until that direction drained.
    if (this.#toDownstream.paused) this.#up.pause();
    if (this.#toUpstream.paused) this.#down.pause();
    if (this.#idleTimeoutMs > 0) this.#idleTick = closeDeadline(this.#idleCheckMs(), this.#onIdleTick);
  }

  #sink(side: Side): EndSink {
    return new Fuse.#Sink(this, side, side === 'downstream' ? this.#toUpstream : this.#toDownstream);
  }

  /** What one side reports to: a class, so that its four methods are shared by every pipe rather than closures each. */
  static readonly #Sink = class implements EndSink {
    constructor(
      readonly fuse: Fuse,
      readonly side: Side,
      /** The direction this side reads for. */
      readonly direction: Direction,
    ) {}

    data(payload: Buffer | readonly Buffer[], binary: boolean): void {
      this.fuse.#forward(this.direction, payload, binary);
    }

    ended(ending: Ending): void {
      this.fuse.#ended(this.side, ending);
    }

    failed(err: unknown, description: string, code: number | undefined): void {
      this.fuse.#failed(this.side, err, description, code);
    }

    closed(): void {
      this.fuse.#closed(this.side);
    }
  };

  // ── copying ───────────────────────────────────────────────────────────────────────────────────────────────

  #forward(d: Direction, payload: Buffer | readonly Buffer[], binary: boolean): void {
    // Once the writing end is closing, what still arrives has nowhere to go; it is read and dropped so that the
    // reading end's own close can be seen.
    if (!d.to.writable) return;
    const length = Buffer.isBuffer(payload) ? payload.length : payload.reduce((n, b) => n + b.length, 0);
    if (length === 0 && d.to.kind === 'bytes') return;
    d.bytes += length;
    const traffic = this.#traffic;
    if (traffic) {
      if (d === this.#toUpstream) traffic.bytesIn += length;
      else traffic.bytesOut += length;
    }
    if (this.#halfClosed) this.#rearmCloseDeadline();
    this.#moved();
    d.pending.push(length + WRITE_OVERHEAD_BYTES);
    // A byte stream carries no message type: what reaches a WebSocket from one is binary.
    d.to.write(payload, d.from.kind === 'bytes' ? true : binary, d === this.#toUpstream ? this.#onUpstreamWritten : this.#onDownstreamWritten);
    if (d.pending.bytes > this.#max && !d.paused && !this.#done(d.from)) {
      d.paused = true;
      d.from.pause();
    }
  }

  readonly #onUpstreamWritten = (): void => this.#written(this.#toUpstream);
  readonly #onDownstreamWritten = (): void => this.#written(this.#toDownstream);

  #written(d: Direction): void {
    // A reader slow to take the answer to a half-close is no silent peer.
    if (this.#halfClosed) this.#rearmCloseDeadline();
    this.#moved();
    const pending = d.pending.complete();
    if (d.paused && pending <= this.#resumeAt) this.#resumeReading(d);
  }

  #resumeReading(d: Direction): void {
    if (!d.paused) return;
    d.paused = false;
    d.from.resume();
  }

  #done(end: End): boolean {
    return end === this.#down ? this.#downstreamDone : this.#upstreamDone;
  }

  // ── closing ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The first cause wins: later events are consequences of it. */
  #decide(closedBy: PipeResult['closedBy'], cause: CloseCause, reason: string, code: number | undefined, error?: unknown): void {
    if (this.#closedBy !== undefined) return;
    this.#closedBy = closedBy;
    this.#cause = cause;
    this.#reason = reason;
    this.#code = code;
    this.#error = error;
  }

  #other(side: Side): End {
    return side === 'downstream' ? this.#up : this.#down;
  }

  #end(side: Side): End {
    return side === 'downstream' ? this.#down : this.#up;
  }

  /** What the downstream is told, or told us, as a close code: only a WebSocket downstream has one. */
  #downstreamCode(code: number | undefined): number | undefined {
    return this.#down.kind === 'messages' ? code : undefined;
  }

  /** Records that `side` reported its end; true if it already had (what follows is a consequence). */
  #settle(side: Side): boolean {
    if (side === 'downstream') {
      if (this.#downstreamSettled) return true;
      this.#downstreamSettled = true;
    } else {
      if (this.#upstreamSettled) return true;
      this.#upstreamSettled = true;
    }
    return false;
  }

  #ended(side: Side, ending: Ending): void {
    if (this.#settle(side)) return;
    if (ending.lost) {
      // No close frame: data may have been lost in flight, so the other side must not take this for a clean end.
      this.#decide(side === 'downstream' ? 'downstream' : 'error', endedCause(side, true), `${side} lost (1006)`, this.#downstreamCode(side === 'downstream' ? ending.code : CLOSE_INTERNAL_ERROR));
      this.#fail(side, `${side} lost`);
      return;
    }
    const code = ending.code;
    if (this.#end(side).kind === 'messages' && this.#other(side).kind === 'bytes' && reportsFailure(code)) {
      // A close frame that reports a failure (a gateway further on whose backend reset, a policy that refused): a
      // byte stream has no code to carry it, and a FIN would pass it off as a clean end. So it is a reset there.
      const said = ending.reason.length > 0 ? `${code}: ${ending.reason}` : String(code);
      this.#decide(side === 'downstream' ? 'downstream' : 'error', side === 'downstream' ? 'downstream_error' : 'upstream_error', `${side} closed (${said})`, this.#downstreamCode(side === 'downstream' ? code : CLOSE_INTERNAL_ERROR));
      this.#end(side).close(undefined, '');
      this.#fail(side, `${side} closed (${said})`);
      return;
    }
    this.#decide(side, endedCause(side, false), code === undefined ? `${side} closed` : `${side} closed (${code})`, this.#downstreamCode(side === 'downstream' ? code : (code ?? CLOSE_NORMAL)));
    const end = this.#end(side);
    const other = this.#other(side);
    if (end.kind === 'bytes' && other.kind === 'bytes' && end.writable) {
      // A half-close between byte streams: the FIN is passed on, and what the other side still sends is delivered
      // until it ends too (a request, then its response). Both ends then have their FIN, and the pipe is done. A
      // side that never ends is cut once it has been silent for the close deadline, or the connection (and the
      // socket of a client long gone) would be held for as long as the process runs.
      this.#halfClosed = true;
      this.#answer = side === 'downstream' ? this.#toDownstream : this.#toUpstream;
      this.#answerFrom = this.#answer.bytes;
      this.#resumeReading(other === this.#up ? this.#toDownstream : this.#toUpstream);
      other.close(undefined, '');
      this.#armCloseDeadline();
      return;
    }
    if (end.kind === 'bytes' && end.writable) {
      // A byte stream's half-close towards a WebSocket: the WebSocket is sent its close, and what it still sends
      // before its own close comes back is delivered (a request, then its response); the FIN follows it then.
      this.#halfClosed = true;
      this.#answer = side === 'downstream' ? this.#toDownstream : this.#toUpstream;
      this.#answerFrom = this.#answer.bytes;
      this.#closeGracefully(other, side, code, ending.reason);
      return;
    }
    if (end.kind === 'messages' && end.holdingClose === true) {
      // The mirror: a WebSocket's close towards a byte stream, its answer held (ends.ts). The byte stream is sent
      // its FIN, what it still sends goes back over the WebSocket, and the answer follows its own end.
      this.#halfClosed = true;
      this.#answer = side === 'downstream' ? this.#toDownstream : this.#toUpstream;
      this.#answerFrom = this.#answer.bytes;
      this.#resumeReading(other === this.#up ? this.#toDownstream : this.#toUpstream);
      other.close(undefined, '');
      this.#armCloseDeadline();
      return;
    }
    // A close frame is answered by the WebSocket itself; a FIN needs ours (a socket made with allowHalfOpen would
    // otherwise keep its side open).
    end.close(undefined, '');
    this.#closeGracefully(other, side, code, ending.reason);
  }

  #failed(side: Side, err: unknown, description: string, code: number | undefined): void {
    if (this.#settle(side)) return;
    this.#halfClosed = false;
    // A WebSocket client's failures are named by what it did ('message too big (1009)'); the rest by their side.
    const reason = side === 'upstream' || this.#down.kind === 'bytes' ? `${side} ${description}` : description;
    this.#decide('error', failedCause(side, description, this.#down.kind), reason, this.#downstreamCode(side === 'downstream' ? code : CLOSE_INTERNAL_ERROR), err);
    this.#armCloseDeadline();
    this.#fail(side, reason);
  }

  #closed(side: Side): void {
    if (side === 'downstream') {
      if (this.#downstreamDone) return;
      this.#downstreamDone = true;
    } else {
      if (this.#upstreamDone) return;
      this.#upstreamDone = true;
    }
    if (this.#settle(side)) {
      this.#maybeFinish();
      return;
    }
    // Neither a clean end nor an error: the side was destroyed by its owner.
    this.#decide(side === 'downstream' ? 'downstream' : 'error', endedCause(side, true), `${side} aborted`, this.#downstreamCode(side === 'downstream' ? undefined : CLOSE_INTERNAL_ERROR));
    this.#fail(side, `${side} aborted`);
    this.#maybeFinish();
  }

  /** `from` ended cleanly: the other end is closed after what is queued for it, with the same code where it can carry one. */
  #closeGracefully(to: End, from: Side, code: number | undefined, reason: string): void {
    if (this.#done(to)) return;
    // What is queued must still be read off the other side for its close to complete.
    this.#resumeReading(to === this.#up ? this.#toDownstream : this.#toUpstream);
    const fromEnd = this.#end(from);
    to.close(fromEnd.kind === 'messages' ? code : CLOSE_NORMAL, fromEnd.kind === 'messages' ? reason : '');
    this.#armCloseDeadline();
  }

  /**
   * `side` failed or went without a clean end: a WebSocket client is told why with 1011; anything else (a backend,
   * a byte-stream client) is destroyed, so that it sees a failure rather than a clean end.
   */
  #fail(side: Side, reason: string): void {
    const to = this.#other(side);
    if (this.#done(to)) return;
    if (to === this.#down && to.kind === 'messages') {
      this.#resumeReading(this.#toUpstream);
      to.close(CLOSE_INTERNAL_ERROR, closeReason(reason));
      this.#armCloseDeadline();
    } else {
      to.abort();
    }
  }

  /** Open, or half-closed and still answering: what the idle deadline watches. A pipe closing otherwise has its close deadline. */
  #idleWatched(): boolean {
    return !this.#finished && (this.#closedBy === undefined || this.#halfClosed);
  }

  /** A byte moved (forwarded, or taken by the side it was written to): the next idle check is told. */
  #moved(): void {
    this.#idleMoved = true;
  }

  #idleCheckMs(): number {
    return Math.max(1, Math.floor(this.#idleTimeoutMs / 2));
  }

  /**
   * Every half of `idle.timeout`: two checks in a row with nothing moved make the pipe idle, between one and one and
   * a half timeouts after its last byte. A timer set again for every chunk would cost each one a deadline.
   */
  readonly #onIdleTick = (): void => {
    this.#idleTick = undefined;
    if (!this.#idleWatched()) return;
    if (this.#idleMoved) {
      this.#idleMoved = false;
      this.#idleQuiet = 0;
    } else if (++this.#idleQuiet >= 2) {
      this.#onIdle();
      return;
    }
    this.#idleTick = closeDeadline(this.#idleCheckMs(), this.#onIdleTick);
  };

  /**
   * No byte moved either way for `idle.timeout`: both sides are closed, a WebSocket with 1001, a byte stream with its
   * FIN, except one that bytes are still waiting for (a backend that stopped reading), which is reset, since what
   * was written to it will not arrive. The close deadline then bounds the rest.
   */
  #onIdle(): void {
    const idle = `idle for ${this.#idleTimeoutMs / 1000} s (idle.timeout)`;
    // A half-close ended so keeps the cause of its first end, and says what ended it.
    if (this.#halfClosed) this.#reason = `${this.#reason}; then ${idle}`;
    this.#halfClosed = false;
    this.#decide('error', 'idle', idle, this.#downstreamCode(CLOSE_GOING_AWAY));
    for (const side of ['downstream', 'upstream'] as const) {
      const end = this.#end(side);
      if (this.#done(end)) continue;
      const toIt = side === 'downstream' ? this.#toDownstream : this.#toUpstream;
      // Its own close or FIN must still be read for the close to complete.
      this.#resumeReading(side === 'downstream' ? this.#toUpstream : this.#toDownstream);
      if (toIt.pending.bytes > 0 && end.kind === 'bytes') {
        // Reset on purpose: its close is no abort that the other side must be told of as a failure.
        this.#settle(side);
        end.abort();
      } else {
        end.close(end.kind === 'messages' ? CLOSE_GOING_AWAY : undefined, end.kind === 'messages' ? 'idle timeout' : '');
      }
    }
    this.#armCloseDeadline();
  }

  /**
   * The close deadline, from the moment either side starts closing (or, after a half-close, from the last thing
   * forwarded): a pipe that is closing should finish, or be cut, in bounded time.
   */
  #armCloseDeadline(): void {
    if (this.#closeDeadline !== undefined || this.#finished) return;
    this.#closeDeadline = closeDeadline(this.#closeTimeoutMs, this.#onCloseTimeout);
  }

  #rearmCloseDeadline(): void {
    this.#closeDeadline?.cancel();
    this.#closeDeadline = undefined;
    this.#armCloseDeadline();
  }

  readonly #onCloseTimeout = (): void => {
    this.#closeDeadline = undefined;
    // After a half-close it is silence that is cut. The answer still queued for the side that ended first, whose
    // reader is slow to take it, is backpressure that side chose, which has no deadline on an open connection either:
    // cutting it would end a download in the middle. The side still open has no such excuse for not reading.
    const answer = this.#answer;
    if (this.#halfClosed && answer !== undefined && this.#queued(answer, this.#done(answer.to))) {
      this.#armCloseDeadline();
      return;
    }
    // A side that half-closed and got nothing back is told of a failure, not a clean end: to a device behind `gateway
    // connect`, an empty answer would look like one its backend gave. One that got an answer (from a backend that
    // answers and keeps its side open) is answered cleanly.
    const unanswered = this.#halfClosed && answer !== undefined && answer.bytes === this.#answerFrom;
    this.#halfClosed = false;
    let answered = false;
    if (!this.#downstreamDone) {
      this.#forced = true;
      answered = this.#stop(this.#down, unanswered) || answered;
    }
    if (!this.#upstreamDone) {
      this.#forced = true;
      answered = this.#stop(this.#up, unanswered) || answered;
    }
    // An answered close still needs the peer's TCP close; one more deadline, then it is destroyed.
    if (answered) {
      this.#lastDeadline = true;
      this.#armCloseDeadline();
    }
  };

  /** Bytes written towards a side that has not closed, and not yet taken by it. */
  #queued(d: Direction, done: boolean): boolean {
    return !done && d.pending.bytes > 0;
  }

  /**
   * A WebSocket that closed cleanly and waits for its answer, with nothing still on its way to it, is given the
   * answer (once: at the last deadline it is destroyed): 1000, or 1011 when `unanswered` (nothing came back after its
   * close). Anything else is destroyed (a byte stream already sent its FIN keeps what the system holds for it). True
   * when it answered.
   */
  #stop(end: End, unanswered: boolean): boolean {
    const toIt = end === this.#down ? this.#toDownstream : this.#toUpstream;
    if (!this.#lastDeadline && end.holdingClose === true && toIt.pending.bytes === 0) {
      if (unanswered) end.close(CLOSE_INTERNAL_ERROR, closeReason(`no answer within ${this.#closeTimeoutMs / 1000} s of the close`));
      else end.close(CLOSE_NORMAL, '');
      return true;
    }
    end.destroy();
    return false;
  }

  #maybeFinish(): void {
    if (this.#finished || !this.#downstreamDone || !this.#upstreamDone) return;
    this.#finished = true;
    this.#closeDeadline?.cancel();
    this.#closeDeadline = undefined;
    this.#idleTick?.cancel();
    this.#idleTick = undefined;
    this.#down.detach();
    this.#up.detach();
    const result: PipeResult = {
      bytesDownstreamToUpstream: this.#toUpstream.bytes,
      bytesUpstreamToDownstream: this.#toDownstream.bytes,
      closedBy: this.#closedBy ?? 'error',
      // A side cut at the close deadline may have had more to send (a reply slower than the deadline after a
      // half-close): said in the reason, so that its loss is not silent.
      reason: this.#forced ? `${this.#reason}; cut after ${this.#closeTimeoutMs / 1000} s without finishing its close` : this.#reason,
      cause: this.#cause,
      code: this.#code,
      forced: this.#forced,
    };
    if (this.#error !== undefined) result.error = this.#error;
    this.#resolve(result);
  }
}

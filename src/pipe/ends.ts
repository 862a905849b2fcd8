/**
 * The two kinds of end a pipe joins, behind one small interface, so that the copy loop (fuse.ts) knows nothing of
 * the transport underneath: a *byte stream* (a TCP or TLS socket: chunks, FIN) or a *message stream* (a
 * WebSocket: text and binary messages, close frames with a code and reason, pings answered by the end itself).
 *
 * An end reports what happens to it through the sink it is attached to, and does what the loop asks: write (with a
 * completion, for the pending-bytes count), pause, resume, close gracefully (FIN, or a close frame), destroy.
 * Events that happened before it was attached (a peer that left while the backend was being connected) are
 * reported at attach, so the loop never misses how a side ended.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { CLOSE_ABNORMAL, CLOSE_NO_STATUS, CLOSE_NORMAL, closeReason, describeWsError, errorName, wsErrorStatus } from './close.js';
import { holdReading, streamBinaryPayloads } from './frame-reader.js';
import { INACTIVITY_CLOSE_CODE, INACTIVITY_CLOSE_REASON, keepAlive } from './heartbeat.js';
import { quietRepeatedEnds } from './quiet-end.js';

/** How an end's peer finished: a FIN (no code) or a close frame; `lost` when it went without either. */
export interface Ending {
  readonly code: number | undefined;
  readonly reason: string;
  readonly lost: boolean;
}

export interface EndSink {
  /** A chunk read (byte end, always binary), or a message (fragments as read, `binary` false for text). */
  data(payload: Buffer | readonly Buffer[], binary: boolean): void;
  /** The peer ended: FIN, a close frame, or (lost) a connection gone without either. */
  ended(ending: Ending): void;
  /** The end failed: a socket error, a protocol violation, an inactivity timeout. `code`: the close code it sent. */
  failed(err: unknown, description: string, code: number | undefined): void;
  /** Fully closed: nothing more will be reported. */
  closed(): void;
}

export interface End {
  readonly kind: 'bytes' | 'messages';
  /**
   * The other side is a byte stream, where message boundaries are lost: a message end may then hand on a large
   * binary message in pieces as it arrives. Called before attach().
   */
  forBytes?(): void;
  /** Starts reporting to `sink`; what already happened is reported at once. */
  attach(sink: EndSink): void;
  /** Removes everything attach() added. */
  detach(): void;
  /** False once nothing more can be written (closing, closed). */
  readonly writable: boolean;
  /** A message end whose peer has closed and which holds its answer until close() (a WebSocket towards bytes). */
  readonly holdingClose?: boolean;
  /**
   * Writes one chunk or message; `done` runs once it has been handed to the system, in write order. A byte end may
   * hold what it is given until the end of the turn of the event loop, to write it with what follows (StreamEnd).
   */
  write(payload: Buffer | readonly Buffer[], binary: boolean, done: () => void): void;
  pause(): void;
  resume(): void;
  /** Ends gracefully after what is queued: a FIN, or a close frame with `code` and `reason` where there are any. */
  close(code: number | undefined, reason: string): void;
  /** Ends at once. */
  destroy(): void;
  /** Ends at once as a failure, so that the peer cannot take it for a clean end: a reset where the transport has one. */
  abort(): void;
}

function noop(): void {}

/**
 * The uncorks owed at the end of this turn's I/O (StreamEnd). libuv reads a socket up to 64 KiB at a time, and a TLS
 * socket hands each record of a read to JavaScript as a run of its own, with Node's queued callbacks
 * (process.nextTick) run after each: held until the turn's reads have all been handled (setImmediate), the messages
 * of a read's several records leave in one write rather than one each.
 */
const owedUncorks: (() => void)[] = [];

function uncorkAll(): void {
  // Taken out first: what the uncorks set off (a write's completion, which may write again) runs in later ticks, and
  // owes its own uncork to a later turn.
  for (const uncork of owedUncorks.splice(0)) uncork();
}

function oweUncork(uncork: () => void): void {
  if (owedUncorks.push(uncork) === 1) setImmediate(uncorkAll);
}

/**
 * Bytes held that leave at once rather than at the end of the turn. A 64 KiB message is one write either way; held
 * with the rest of the turn's, bulk at 64 KiB cost 12% more CPU per MiB. At the default `maximum.pending.bytes`
 * (64,000) what is held can pause the other side until it has been written; half as much held cost 1–4% more CPU per
 * MiB all the same (bench/findings.md).
 */
const FLUSH_BYTES = 65536;

/**
 * What one run must write to be held for the rest of the turn: half a TLS record's worth, most likely one record of
 * a read that brought several. A run that writes less is most likely all there is for now (an interactive peer's
 * message), and waiting for the turn's other connections would only add their time to its latency. A single larger
 * message does wait for them: at most one turn of the event loop (bench/findings.md).
 */
const DEFER_BYTES = 8192;

/** A TCP or TLS socket as an end. */
export class StreamEnd implements End {
  readonly kind = 'bytes' as const;
  readonly #socket: Duplex;
  #sink: EndSink | undefined;

  constructor(socket: Duplex) {
    this.#socket = socket;
  }

  get writable(): boolean {
    return this.#socket.writable;
  }

  attach(sink: EndSink): void {
    this.#sink = sink;
    const s = this.#socket;
    s.on('data', this.#onData);
    s.on('end', this.#onEnd);
    s.on('error', this.#onError);
    s.on('close', this.#onClose);
    // The caller may have paused it (while connecting the other side); every close path relies on it being read.
    if (s.readableFlowing !== true) s.resume();
    // It may have ended while the other side was being connected: its events are gone for good.
    if (s.destroyed && (s as { closed?: boolean }).closed === true) {
      const errored = (s as { errored?: unknown }).errored;
      if (errored) this.#onError(errored);
      else if (s.readableEnded) this.#onEnd();
      this.#onClose();
    } else if (s.readableEnded) {
      // Half-open: its FIN came while the other side was being connected, and its writing side is still open.
      this.#onEnd();
    }
  }

  detach(): void {
    const s = this.#socket;
    s.removeListener('data', this.#onData);
    s.removeListener('end', this.#onEnd);
    s.removeListener('error', this.#onError);
    s.removeListener('close', this.#onClose);
    this.#sink = undefined;
  }

  readonly #onData = (chunk: Buffer): void => this.#sink?.data(chunk, true);
  readonly #onEnd = (): void => this.#sink?.ended({ code: undefined, reason: '', lost: false });
  readonly #onError = (err: unknown): void => this.#sink?.failed(err, `error: ${errorName(err)}`, undefined);
  readonly #onClose = (): void => this.#sink?.closed();

  write(payload: Buffer | readonly Buffer[], _binary: boolean, done: () => void): void {
    const s = this.#socket;
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      if (!this.#owed) process.nextTick(this.#endOfRun);
    }
    if (Buffer.isBuffer(payload)) {
      s.write(payload, done);
      this.#held += payload.length;
    } else {
      // A fragmented message is written fragment by fragment rather than joined; the last one's completion is the message's.
      const last = payload.length - 1;
      for (let i = 0; i < last; i++) {
        s.write(payload[i] as Buffer, noop);
        this.#held += (payload[i] as Buffer).length;
      }
      s.write(payload[last] as Buffer, done);
      this.#held += (payload[last] as Buffer).length;
    }
    if (this.#held >= FLUSH_BYTES) this.#flush();
  }

  /** The socket is corked: what is written is held (#endOfRun). */
  #corked = false;
  /** Bytes written since it was corked. */
  #held = 0;
  /** An uncork is owed for this end at the end of the turn (oweUncork). */
  #owed = false;

  /**
   * The end of the synchronous run that wrote (the messages of one read of the other side's): what it wrote leaves
   * now, in one writev. A run that wrote DEFER_BYTES or more is held until the turn's I/O has been handled, so that
   * the rest of the read joins it: from a TLS socket it was most likely one record of several; from a TCP socket it
   * was a whole read, which only the turn's later reads of the same socket can join.
   */
  readonly #endOfRun = (): void => {
    if (!this.#corked || this.#owed) return;
    if (this.#held < DEFER_BYTES) {
      this.#flush();
      return;
    }
    this.#owed = true;
    oweUncork(this.#uncork);
  };

  #flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#held = 0;
    this.#socket.uncork();
  }

  readonly #uncork = (): void => {
    this.#owed = false;
    this.#flush();
  };

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(): void {
    const s = this.#socket;
    // Whatever still arrives must be read for the peer's FIN (and 'close') to be seen.
    s.resume();
    if (!s.writableEnded && !s.destroyed) s.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  abort(): void {
    const s = this.#socket;
    // Only a TCP socket can send a reset. Under a TLS socket the gateway accepted lies the TCP socket it came on
    // (node keeps it as `_parent`), whose reset ends the connection; a TLS socket the gateway opened itself owns its
    // TCP handle, which is reset as the TLS socket is destroyed (resetOnClose).
    const tcp = s instanceof TLSSocket ? (s as unknown as { _parent?: unknown })._parent : s;
    // While its FIN is on its way (ended, everything written, the shutdown not yet done), libuv refuses the reset,
    // and node then never closes the handle at all: such a socket is closed as before. One whose end still waits
    // behind bytes it has not written yet can be reset, and is: its peer must not take what it got for the whole.
    const finOnItsWay = s.writableEnded && !s.writableFinished && s.writableLength === 0;
    if (tcp instanceof Socket && !(tcp instanceof TLSSocket) && !tcp.destroyed && !tcp.connecting && !finOnItsWay) tcp.resetAndDestroy();
    else if (s instanceof TLSSocket && !s.destroyed && !finOnItsWay) resetOnClose(s);
    if (!s.destroyed) s.destroy();
  }
}

/** What node keeps of a TLS socket that owns its TCP connection: the TLS handle, and under it the TCP handle. */
interface OwnedTcpHandle {
  close(callback: () => void): void;
  /**
   * Closes with a reset (uv_tcp_close_reset); non-zero, without closing, when it cannot (a FIN already on its way).
   * Node marks the handle closing either way, so a failed reset leaves it open for good: it is not tried then.
   */
  reset(callback: () => void): number;
}

/**
 * Has the TCP handle under a TLS socket the gateway opened (tls.connect) close with a reset, so that the backend
 * cannot take a failure for a clean end: node closes that handle when the TLS socket is destroyed, and offers no
 * reset for it. Only for a socket with no shutdown pending (abort()), the one case in which libuv refuses a reset on
 * Linux.
 */
function resetOnClose(socket: TLSSocket): void {
  const tcp = (socket as unknown as { _handle?: { _parent?: Partial<OwnedTcpHandle> } | null })._handle?._parent;
  if (typeof tcp?.reset !== 'function' || typeof tcp.close !== 'function') return;
  const handle = tcp as OwnedTcpHandle;
  const reset = handle.reset;
  handle.close = function closeWithReset(this: OwnedTcpHandle, callback: () => void): void {
    reset.call(this, callback);
  };
}

/**
 * ws fails a peer's connection with the code alone (a message too big, invalid UTF-8, a protocol error), and a
 * browser shows the developer an empty reason. Every other close the gateway makes gives its own (possibly empty).
 */
const FAILURE_REASONS: Readonly<Record<number, string>> = {
  1002: 'protocol error',
  1007: 'invalid UTF-8 in a text message or close reason',
  1008: 'policy violation',
  1009: 'message too big',
};

/**
 * The WebSockets whose close answer may be held (WebSocketEnd's #closeOrHold), and ws's own close. ws answers a
 * peer's close frame by calling `close` on the WebSocket, so that call is routed here once for every WebSocket of
 * the process; one that holds nothing goes straight to ws. (A `close` of each WebSocket's own would give the
 * objects of one class two shapes, and cost more on every call ws makes on them.)
 */
const closeHolders = new WeakMap<WebSocket, (code?: number, reason?: string | Buffer) => boolean>();
/**
 * The WebSocket ends told when ws has answered their peer's close frame itself (WebSocketEnd's #peerClosed). ws
 * reports the close only once the connection is gone ('close'), and a peer that keeps its TCP side open after the
 * closing handshake would keep the connection for as long as ws's close timer allows, which towards a byte stream is
 * no bound at all (CLOSE_HANDSHAKE_TIMEOUT_MS): told at the answer, the pipe bounds it with its close deadline.
 */
const peerCloseWatchers = new WeakMap<WebSocket, (code: number | undefined, reason: string | Buffer | undefined) => void>();
const wsClose = WebSocket.prototype.close;
WebSocket.prototype.close = function close(this: WebSocket, code?: number, reason?: string | Buffer): void {
  if (closeHolders.get(this)?.(code, reason) === true) return;
  const answering = this.readyState === WebSocket.OPEN && (this as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived === true;
  wsClose.call(this, code, reason ?? (code === undefined ? undefined : FAILURE_REASONS[code]));
  if (answering) peerCloseWatchers.get(this)?.(code, reason);
};

const SEND_BINARY = Object.freeze({ binary: true });
const SEND_TEXT = Object.freeze({ binary: false });

/** Codes a close frame may carry (RFC 6455 §7.4): 1005, 1006 and 1015 only ever describe a close, never go in one. */
function sendable(code: number | undefined): code is number {
  return code !== undefined && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

export interface WebSocketEndOptions {
  /** `ws.inactivity.timeout` in ms for this side (heartbeat.ts); 0 = off. */
  readonly inactivityTimeoutMs?: number | undefined;
  /**
   * The peer reads what it is sent after its own close frame (it said so at the upgrade, `X-Gateway-Half-Close`),
   * so towards a byte stream its close may be answered only once the byte stream has ended (#closeOrHold).
   * `'now'`: the other side is known to be a byte stream already, and a close that comes before the pipe is
   * attached is held too; `'at-attach'`: held once attached for a byte stream (forBytes).
   */
  readonly holdClose?: 'now' | 'at-attach' | undefined;
}


/**
 * A WebSocket as an end. Its keep-alive runs from construction, before and during the pipe, so one owner watches
 * the connection's idle time for its whole life; pings from the peer are answered by ws itself, so each hop
 * answers its own. While the pipe holds it paused (backpressure), its quiet is not the peer's and does not count,
 * unless the peer does not read what is written to it either (heartbeat.ts).
 */
export class WebSocketEnd implements End {
  readonly kind = 'messages' as const;
  readonly #ws: WebSocket;
  readonly #savedBinaryType: WebSocket['binaryType'];
  readonly #stopKeepAlive: () => void;
  #sink: EndSink | undefined;
  #paused = false;
  /** Its messages go on to a byte stream (forBytes). */
  #forBytes = false;
  /** An inactivity timeout before the pipe was attached, reported at attach. */
  #timedOut = false;
  #closeSeen: { code: number; reason: string } | undefined;
  readonly #holdClose: WebSocketEndOptions['holdClose'];
  /** The peer's close frame, come and its answer held (see #closeOrHold). */
  #heldClose: { code: number | undefined; reason: string } | undefined;
  /** The peer's close frame, come and answered by ws: the peer is done, though its TCP side may stay open. */
  #peerClose: { code: number; reason: string } | undefined;

  constructor(ws: WebSocket, options: WebSocketEndOptions = {}) {
    this.#ws = ws;
    quietRepeatedEnds(ws);
    this.#savedBinaryType = ws.binaryType;
    const timeoutMs = options.inactivityTimeoutMs ?? 0;
    this.#stopKeepAlive = timeoutMs > 0 ? keepAlive(ws, timeoutMs, () => this.#onInactive(), () => this.#paused) : noop;
    // Until attached, errors are read from the close that follows them (ws always emits 'close' after 'error').
    ws.on('error', noop);
    ws.once('close', this.#onCloseSeen);
    // Given one already closed, how is not known: taken as lost, so that nothing takes it for a clean end.
    if (ws.readyState === WebSocket.CLOSED) this.#onCloseSeen(CLOSE_ABNORMAL, Buffer.alloc(0));
    this.#holdClose = options.holdClose;
    if (this.#holdClose === 'now') closeHolders.set(ws, this.#closeOrHold);
    peerCloseWatchers.set(ws, this.#onPeerClosed);
  }

  get socket(): WebSocket {
    return this.#ws;
  }

  get writable(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** The peer has sent its close frame and the answer is held (#closeOrHold): nothing more comes from it. */
  get holdingClose(): boolean {
    return this.#heldClose !== undefined && this.#ws.readyState === WebSocket.OPEN;
  }

  forBytes(): void {
    this.#forBytes = true;
  }

  attach(sink: EndSink): void {
    this.#sink = sink;
    const ws = this.#ws;
    // Fragments as read: written to a byte stream without being joined first, and a large message not held whole.
    ws.binaryType = 'fragments';
    if (this.#forBytes) {
      streamBinaryPayloads(ws, true);
      if (this.#holdClose !== undefined) closeHolders.set(ws, this.#closeOrHold);
    }
    ws.on('message', this.#onMessage);
    ws.on('ping', this.#onPing);
    ws.on('error', this.#onError);
    ws.on('close', this.#onClose);
    if (this.#timedOut) this.#onInactive();
    if (this.#closeSeen !== undefined) this.#onClose(this.#closeSeen.code, Buffer.from(this.#closeSeen.reason));
    else if (this.holdingClose) this.#reportHeld(sink);
    else if (this.#peerClose !== undefined) sink.ended({ ...this.#peerClose, lost: false });
    // Whoever attaches reads from now on: a caller may have paused it (while connecting the other side).
    else this.resume();
  }

  /** Removes what attach() added; what the end itself listens to goes when the WebSocket closes. */
  detach(): void {
    const ws = this.#ws;
    ws.removeListener('message', this.#onMessage);
    ws.removeListener('ping', this.#onPing);
    ws.removeListener('error', this.#onError);
    ws.removeListener('close', this.#onClose);
    if (this.#forBytes) streamBinaryPayloads(ws, false);
    closeHolders.delete(ws);
    ws.binaryType = this.#savedBinaryType;
    this.#sink = undefined;
  }

  /**
   * ws answers a peer's close frame at once, from inside its frame reader, by calling `close` on the WebSocket.
   * Towards a byte stream that answer would come too soon for a peer that passes on a TCP half-close as its close
   * frame (`gateway connect` does): the backend's response to what came before it would have nowhere to go. For a
   * peer that said it reads after its own close (holdClose), the answer is held: the close is reported as the
   * peer's end, the WebSocket stays open for what the byte stream still sends, and the answer goes when the pipe
   * closes this end (close(), once the byte stream has ended, or at the pipe's close deadline). Returns whether it
   * held the call; every other call, that one included, is ws's own close. A peer that ends its TCP side after
   * its close frame wants no more: its close is answered there and then, before ws ends the socket.
   */
  readonly #closeOrHold = (code?: number, reason?: string | Buffer): boolean => {
    const ws = this.#ws;
    if (this.#heldClose !== undefined || ws.readyState !== WebSocket.OPEN || (ws as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived !== true) return false;
    const held = { code, reason: reason === undefined ? '' : reason.toString() };
    this.#heldClose = held;
    // The pipe's close deadline bounds the wait from here: a peer that has closed answers no ping.
    this.#stopKeepAlive();
    (ws as unknown as { _socket?: Duplex })._socket?.prependOnceListener('end', () => this.#answer(held.code, held.reason));
    if (this.#sink) this.#reportHeld(this.#sink);
    return true;
  };

  #reportHeld(sink: EndSink): void {
    const held = this.#heldClose;
    if (held) sink.ended({ code: held.code ?? CLOSE_NO_STATUS, reason: held.reason, lost: false });
  }

  #answer(code: number | undefined, reason: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (sendable(code)) wsClose.call(this.#ws, code, closeReason(reason));
    else wsClose.call(this.#ws);
  }

  /**
   * ws has answered the peer's close frame (peerCloseWatchers): the close is reported now rather than when the
   * connection is gone, so that whoever holds this end bounds the rest (the pipe's close deadline). 'close' still
   * follows, and reports it again, which every sink takes as the same end.
   */
  readonly #onPeerClosed = (code: number | undefined, reason: string | Buffer | undefined): void => {
    // A held close was reported when it was held; the close that answers it later is the gateway's, not the peer's.
    if (this.#peerClose !== undefined || this.#heldClose !== undefined) return;
    this.#peerClose = { code: code ?? CLOSE_NO_STATUS, reason: reason === undefined ? '' : reason.toString() };
    this.#sink?.ended({ ...this.#peerClose, lost: false });
  };

  readonly #onCloseSeen = (code: number, reason: Buffer): void => {
    this.#closeSeen = { code, reason: reason.toString() };
    this.#stopKeepAlive();
    // Nothing can fail any more: the WebSocket is left with no listener of this end's.
    this.#ws.removeListener('error', noop);
  };

  readonly #onMessage = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    // Only if someone set binaryType to 'arraybuffer' under us: a view, not a copy.
    this.#sink?.data(data instanceof ArrayBuffer ? Buffer.from(data) : data, isBinary);
  };

  /**
   * ws ends the connection of a peer that sends pings faster than their pongs can be written (a ping flood: 60
   * pongs unwritten) without a word: it destroys the socket, then reports the ping. Told here, so that the close
   * says why rather than passing for a client that went away.
   */
  readonly #onPing = (): void => {
    const ws = this.#ws as unknown as { readyState: number; _pendingAutoPongs?: unknown; _maxPendingAutoPongs?: unknown };
    if (ws.readyState === WebSocket.OPEN) return;
    const pending = ws._pendingAutoPongs;
    const max = ws._maxPendingAutoPongs;
    if (typeof pending === 'number' && typeof max === 'number' && max > 0 && pending >= max) {
      this.#sink?.failed(undefined, `ping flood: ${max} pongs not yet written when another ping came`, CLOSE_ABNORMAL);
    }
  };

  readonly #onError = (err: unknown): void => {
    // ws has already failed the connection and sent (or is sending) a close frame with this status.
    const status = wsErrorStatus(err);
    this.#sink?.failed(err, describeWsError(err, status), status);
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#stopKeepAlive();
    const sink = this.#sink;
    if (!sink) return;
    const lost = code === CLOSE_ABNORMAL;
    sink.ended({ code, reason: reason.toString(), lost });
    sink.closed();
  };

  #onInactive(): void {
    if (!this.#sink) {
      this.#timedOut = true;
      return;
    }
    this.#timedOut = false;
    this.#sink.failed(undefined, INACTIVITY_CLOSE_REASON, INACTIVITY_CLOSE_CODE);
  }

  write(payload: Buffer | readonly Buffer[], binary: boolean, done: () => void): void {
    const data = Buffer.isBuffer(payload) ? payload : payload.length === 1 ? (payload[0] as Buffer) : Buffer.concat(payload);
    this.#ws.send(data, binary ? SEND_BINARY : SEND_TEXT, done);
  }

  pause(): void {
    this.#paused = true;
    this.#ws.pause();
    holdReading(this.#ws, true);
  }

  resume(): void {
    this.#paused = false;
    holdReading(this.#ws, false);
    this.#ws.resume();
  }

  close(code: number | undefined, reason: string): void {
    // The peer's close frame has to be read for the closing handshake to complete.
    this.resume();
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const held = this.#heldClose;
    // A held close is answered as ws would have answered it, with the peer's own code and reason, unless the pipe
    // has more to say than that its other side ended (1000): a failure (1011) or the gateway going away (1001).
    if (held !== undefined && (code === undefined || code === CLOSE_NORMAL)) return this.#answer(held.code, held.reason);
    // The close frame is queued behind the messages already sent, so the peer gets everything before it.
    if (sendable(code)) this.#ws.close(code, closeReason(reason));
    else this.#ws.close();
  }

  destroy(): void {
    this.#stopKeepAlive();
    this.#ws.terminate();
  }

  abort(): void {
    this.destroy();
  }
}

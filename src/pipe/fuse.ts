/**
 * The copy loop between a client's WebSocket (downstream) and a backend socket (upstream), with Kaazing's proxy
 * semantics (KAAZING.md "The proxy service"):
 *
 * - downstream → upstream: the payload of every text and binary message is written as raw bytes; message
 *   boundaries are lost. upstream → downstream: every chunk read leaves at once as one binary message.
 * - Backpressure per direction: bytes handed to `upstream.write` / `ws.send` whose callback has not fired are
 *   counted; above `maximumPendingBytes` the source is paused (`ws.pause()` / `upstream.pause()`), and it resumes
 *   when the count falls to half. ws has no 'drain' event; its send callback fires once the frame is written to
 *   its socket, which is what makes the count meaningful.
 * - Either side closing closes the other after what is queued is flushed: an upstream FIN closes the WebSocket
 *   with 1000 after the data before it; a downstream close ends the upstream (FIN) after the queued writes. An
 *   upstream error closes the WebSocket with 1011; a downstream protocol error or a lost downstream destroys the
 *   upstream. A side that has not finished closing `closeTimeoutMs` after the first side began is destroyed.
 * - ECONNRESET and EPIPE are ordinary ways for a connection to end: they are reported in the result, never thrown.
 *
 * fuse() owns both sides until it resolves: it adds listeners (and removes every one of them before resolving),
 * switches the WebSocket to binaryType 'fragments' while it runs (restoring it after) so that fragmented messages
 * are written without being joined, and may pause and resume either side. To end a pipe from outside, close the
 * WebSocket (e.g. `ws.close(1001)` when the gateway stops): the upstream is then ended as for a client close.
 */
import type { Duplex } from 'node:stream';
import type net from 'node:net';
import WebSocket from 'ws';
import { PendingWrites } from './pending.js';
import {
  CLOSE_ABNORMAL,
  CLOSE_INTERNAL_ERROR,
  CLOSE_NORMAL,
  closeReason,
  describeWsError,
  errorName,
  wsErrorStatus,
} from './close.js';
import { INACTIVITY_CLOSE_CODE, INACTIVITY_CLOSE_REASON, keepAlive } from './heartbeat.js';

export interface PipeOptions {
  /** maximum.pending.bytes: bytes queued per direction before the source is paused; resumes at half. */
  maximumPendingBytes: number;
  /** Data already received from the downstream before the upstream was connected (deferred connect). */
  initial?: readonly Buffer[] | undefined;
  /** How long to wait for a WebSocket close handshake / final flush before terminating. Default 5 s. */
  closeTimeoutMs?: number | undefined;
  /**
   * ws.inactivity.timeout in ms (see heartbeat.ts); 0 or undefined = off. Given here rather than through a
   * separate keepAlive() so that the result says 'inactivity timeout' instead of a bare lost connection.
   */
  inactivityTimeoutMs?: number | undefined;
}

export interface PipeResult {
  /** Bytes handed to the upstream socket (`initial` included). */
  bytesDownstreamToUpstream: number;
  /** Bytes handed to the WebSocket as binary messages (payload only, no frame headers). */
  bytesUpstreamToDownstream: number;
  /**
   * Who ended the pipe: 'downstream' when the client closed (close frame, or the connection lost without one);
   * 'upstream' when the backend closed its side (FIN); 'error' when the gateway ended it because something failed:
   * an upstream socket error or reset, a downstream protocol violation or oversized message, an inactivity
   * timeout, or a side destroyed by its owner.
   */
  closedBy: 'downstream' | 'upstream' | 'error';
  /** Human/log reason: 'downstream closed (1000)', 'upstream closed', 'upstream error: ECONNRESET', 'message too big (1009)'… */
  reason: string;
  /** The WebSocket close code seen or sent. */
  code: number | undefined;
  /** The error behind closedBy 'error', when there was one. */
  error?: unknown;
  /** True when a side had to be destroyed because it did not finish closing within closeTimeoutMs. */
  forced: boolean;
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/** Pipes until both sides are closed; never rejects. */
export function fuse(downstream: WebSocket, upstream: net.Socket | Duplex, options: PipeOptions): Promise<PipeResult> {
  return new Promise<PipeResult>((resolve) => {
    new Fuse(downstream, upstream, options, resolve).start();
  });
}

const SEND_BINARY = Object.freeze({ binary: true });

type RawData = Buffer | ArrayBuffer | Buffer[];

class Fuse {
  readonly #ws: WebSocket;
  readonly #up: Duplex;
  readonly #resolve: (result: PipeResult) => void;
  readonly #max: number;
  readonly #resumeAt: number;
  readonly #closeTimeoutMs: number;
  readonly #inactivityTimeoutMs: number;
  readonly #initial: readonly Buffer[];
  readonly #savedBinaryType: WebSocket['binaryType'];

  readonly #toUpstream = new PendingWrites();
  readonly #toDownstream = new PendingWrites();
  #bytesDownstreamToUpstream = 0;
  #bytesUpstreamToDownstream = 0;
  #wsPaused = false;
  #upPaused = false;
  #downstreamDone = false;
  #upstreamDone = false;
  #closeTimer: NodeJS.Timeout | undefined;
  #stopKeepAlive: () => void = noop;
  #finished = false;

  #closedBy: PipeResult['closedBy'] | undefined;
  #reason = '';
  #code: number | undefined;
  #error: unknown;
  #forced = false;

  constructor(ws: WebSocket, up: Duplex, options: PipeOptions, resolve: (result: PipeResult) => void) {
    this.#ws = ws;
    this.#up = up;
    this.#resolve = resolve;
    this.#max = Math.max(0, options.maximumPendingBytes);
    this.#resumeAt = Math.floor(this.#max / 2);
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#inactivityTimeoutMs = options.inactivityTimeoutMs ?? 0;
    this.#initial = options.initial ?? [];
    this.#savedBinaryType = ws.binaryType;
  }

  start(): void {
    const ws = this.#ws;
    const up = this.#up;
    ws.binaryType = 'fragments';
    ws.on('message', this.#onMessage);
    ws.on('error', this.#onDownstreamError);
    ws.on('close', this.#onDownstreamClose);
    up.on('data', this.#onUpstreamData);
    up.on('end', this.#onUpstreamEnd);
    up.on('error', this.#onUpstreamError);
    up.on('close', this.#onUpstreamClose);
    // The caller may have paused it while connecting; every close path below relies on it being read.
    if (up.readableFlowing !== true) up.resume();

    for (const chunk of this.#initial) this.#writeUpstream(chunk);
    // Likewise the WebSocket (a proxy pauses it until its backend is connected); the initial chunks are queued
    // first so they stay ahead of what it reads next.
    if (ws.isPaused && !this.#wsPaused) ws.resume();

    // Either side may have ended while the caller was connecting the other: its events are gone for good.
    if (up.destroyed && (up as { closed?: boolean }).closed === true) {
      const errored = (up as { errored?: unknown }).errored;
      if (errored) this.#onUpstreamError(errored);
      else if (up.readableEnded) this.#onUpstreamEnd();
      this.#onUpstreamClose();
    }
    if (ws.readyState === WebSocket.CLOSED) {
      this.#decide('downstream', 'downstream closed before the pipe started', undefined);
      this.#onDownstreamClose(CLOSE_ABNORMAL);
      return;
    }
    if (this.#inactivityTimeoutMs > 0 && !this.#downstreamDone) {
      this.#stopKeepAlive = keepAlive(ws, this.#inactivityTimeoutMs, this.#onInactive);
    }
  }

  // ── downstream → upstream ─────────────────────────────────────────────────────────────────────────────────

  readonly #onMessage = (data: RawData): void => {
    if (!this.#up.writable) return; // the upstream is closing: nothing more can reach it
    if (Array.isArray(data)) {
      if (data.length === 1) {
        this.#writeUpstream(data[0] as Buffer);
        return;
      }
      // A fragmented message: hand the fragments over as one writev instead of joining them.
      this.#up.cork();
      for (const fragment of data) this.#writeUpstream(fragment);
      this.#up.uncork();
    } else if (data instanceof ArrayBuffer) {
      // Only if someone set binaryType to 'arraybuffer' under us: a view, not a copy.
      this.#writeUpstream(Buffer.from(data));
    } else {
      this.#writeUpstream(data);
    }
  };

  #writeUpstream(chunk: Buffer): void {
    const length = chunk.length;
    if (length === 0 || !this.#up.writable) return;
    this.#bytesDownstreamToUpstream += length;
    this.#toUpstream.push(length);
    this.#up.write(chunk, this.#onUpstreamWritten);
    if (this.#toUpstream.bytes > this.#max && !this.#wsPaused && !this.#downstreamDone) {
      this.#wsPaused = true;
      this.#ws.pause();
    }
  }

  readonly #onUpstreamWritten = (): void => {
    const pending = this.#toUpstream.complete();
    if (this.#wsPaused && pending <= this.#resumeAt) this.#resumeDownstream();
  };

  #resumeDownstream(): void {
    if (!this.#wsPaused) return;
    this.#wsPaused = false;
    this.#ws.resume();
  }

  // ── upstream → downstream ─────────────────────────────────────────────────────────────────────────────────

  readonly #onUpstreamData = (chunk: Buffer): void => {
    // Once the WebSocket is closing, what the backend still sends has nowhere to go; it is read and dropped so
    // that the backend's FIN can be seen.
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const length = chunk.length;
    this.#bytesUpstreamToDownstream += length;
    this.#toDownstream.push(length);
    this.#ws.send(chunk, SEND_BINARY, this.#onDownstreamSent);
    if (this.#toDownstream.bytes > this.#max && !this.#upPaused && !this.#upstreamDone) {
      this.#upPaused = true;
      this.#up.pause();
    }
  };

  readonly #onDownstreamSent = (): void => {
    const pending = this.#toDownstream.complete();
    if (this.#upPaused && pending <= this.#resumeAt) this.#resumeUpstream();
  };

  #resumeUpstream(): void {
    if (!this.#upPaused) return;
    this.#upPaused = false;
    this.#up.resume();
  }

  // ── closing ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The first cause wins: later events are consequences of it. */
  #decide(closedBy: PipeResult['closedBy'], reason: string, code: number | undefined, error?: unknown): void {
    if (this.#closedBy !== undefined) return;
    this.#closedBy = closedBy;
    this.#reason = reason;
    this.#code = code;
    this.#error = error;
  }

  readonly #onUpstreamEnd = (): void => {
    this.#decide('upstream', 'upstream closed', CLOSE_NORMAL);
    // Sockets made with allowHalfOpen would keep their side open: send our FIN after the queued writes.
    this.#endUpstream();
    this.#closeDownstream(CLOSE_NORMAL, '');
  };

  readonly #onUpstreamError = (err: unknown): void => {
    const reason = `upstream error: ${errorName(err)}`;
    this.#decide('error', reason, CLOSE_INTERNAL_ERROR, err);
    this.#closeDownstream(CLOSE_INTERNAL_ERROR, closeReason(reason));
  };

  readonly #onUpstreamClose = (): void => {
    if (this.#upstreamDone) return;
    this.#upstreamDone = true;
    // Neither FIN nor error: the socket was destroyed by its owner.
    this.#decide('error', 'upstream aborted', CLOSE_INTERNAL_ERROR);
    this.#closeDownstream(CLOSE_INTERNAL_ERROR, 'upstream aborted');
    this.#maybeFinish();
  };

  readonly #onDownstreamError = (err: unknown): void => {
    // ws has already failed the connection and sent (or is sending) a close frame with this status.
    const status = wsErrorStatus(err);
    this.#decide('error', describeWsError(err, status), status, err);
    this.#armCloseTimer();
    this.#up.destroy();
  };

  readonly #onDownstreamClose = (code?: number): void => {
    if (this.#downstreamDone) return;
    this.#downstreamDone = true;
    this.#stopKeepAlive();
    const lost = code === undefined || code === CLOSE_ABNORMAL;
    this.#decide('downstream', lost ? 'downstream lost (1006)' : `downstream closed (${code})`, lost ? CLOSE_ABNORMAL : code);
    if (this.#closedBy === 'downstream' && this.#code === CLOSE_ABNORMAL) {
      // No close frame: the client may have lost data in flight, so the backend must not take this for a clean end.
      this.#up.destroy();
    } else {
      this.#endUpstream();
    }
    this.#maybeFinish();
  };

  readonly #onInactive = (): void => {
    this.#decide('error', INACTIVITY_CLOSE_REASON, INACTIVITY_CLOSE_CODE);
  };

  #endUpstream(): void {
    const up = this.#up;
    if (this.#upstreamDone) return;
    // Whatever still arrives must be read for the FIN (and 'close') to be seen.
    this.#resumeUpstream();
    if (!up.writableEnded && !up.destroyed) up.end();
    this.#armCloseTimer();
  }

  #closeDownstream(code: number, reason: string): void {
    if (this.#downstreamDone) return;
    // The peer's close frame has to be read for the handshake to complete.
    this.#resumeDownstream();
    // The close frame is queued behind the data already sent, so the client gets everything before it.
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(code, reason);
    this.#armCloseTimer();
  }

  /**
   * One deadline for the whole close, from the moment either side starts closing. It is not unref'd: a pipe that
   * is closing should finish (or be cut) before the process exits, and the deadline bounds how long that takes.
   */
  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#finished) return;
    this.#closeTimer = setTimeout(this.#onCloseTimeout, this.#closeTimeoutMs);
  }

  readonly #onCloseTimeout = (): void => {
    this.#closeTimer = undefined;
    if (!this.#downstreamDone) {
      this.#forced = true;
      this.#ws.terminate();
    }
    if (!this.#upstreamDone) {
      this.#forced = true;
      this.#up.destroy();
    }
  };

  #maybeFinish(): void {
    if (this.#finished || !this.#downstreamDone || !this.#upstreamDone) return;
    this.#finished = true;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#stopKeepAlive();
    const ws = this.#ws;
    const up = this.#up;
    ws.removeListener('message', this.#onMessage);
    ws.removeListener('error', this.#onDownstreamError);
    ws.removeListener('close', this.#onDownstreamClose);
    up.removeListener('data', this.#onUpstreamData);
    up.removeListener('end', this.#onUpstreamEnd);
    up.removeListener('error', this.#onUpstreamError);
    up.removeListener('close', this.#onUpstreamClose);
    ws.binaryType = this.#savedBinaryType;
    const result: PipeResult = {
      bytesDownstreamToUpstream: this.#bytesDownstreamToUpstream,
      bytesUpstreamToDownstream: this.#bytesUpstreamToDownstream,
      closedBy: this.#closedBy ?? 'error',
      reason: this.#reason,
      code: this.#code,
      forced: this.#forced,
    };
    if (this.#error !== undefined) result.error = this.#error;
    this.#resolve(result);
  }
}

function noop(): void {}

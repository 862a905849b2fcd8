/**
 * Kaazing's `echo` service: every message comes back as it was sent, text as text and binary as binary. Useful to
 * check a client, its certificate and the path through load balancers without a backend.
 */
import type { WebSocket, RawData } from 'ws';
import type { ServiceConfig } from '../config/types.js';
import { keepAlive } from '../pipe/heartbeat.js';
import { PendingWrites } from '../pipe/pending.js';
import { logClosed, logOpened } from './connection-log.js';
import type { ConnectionContext, Service } from './types.js';
import { closeAll } from './close-all.js';

const SEND_BINARY = { binary: true } as const;
const SEND_TEXT = { binary: false } as const;

export class EchoService implements Service {
  readonly available = true;
  readonly #open = new Set<WebSocket>();
  #stopping = false;

  constructor(readonly config: ServiceConfig) {}

  handle(ws: WebSocket, ctx: ConnectionContext): void {
    this.#open.add(ws);
    logOpened(ctx);
    const limit = this.config.properties.maximumPendingBytes;
    let bytesIn = 0;
    let bytesOut = 0;
    // Echoing to a client that does not read would grow the send queue without bound: stop reading above the
    // limit and resume at half, as the proxy does, with the same accounting (one callback, no closure per message).
    const pending = new PendingWrites();
    let paused = false;
    const onSent = (err?: Error) => {
      const before = pending.bytes;
      const left = pending.complete();
      if (!err) bytesOut += before - left;
      if (paused && left <= limit / 2) {
        paused = false;
        ws.resume();
      }
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const size = byteLength(data);
      bytesIn += size;
      pending.push(size);
      ws.send(data, isBinary ? SEND_BINARY : SEND_TEXT, onSent);
      if (!paused && pending.bytes > limit) {
        paused = true;
        ws.pause();
      }
    });
    let timedOut = false;
    const stopKeepAlive =
      this.config.acceptOptions.wsInactivityTimeoutMs > 0
        ? keepAlive(ws, this.config.acceptOptions.wsInactivityTimeoutMs, () => (timedOut = true), () => paused)
        : undefined;
    let errorText: string | undefined;
    ws.on('error', (err) => {
      errorText = err.message;
    });
    ws.once('close', (code: number, reason: Buffer) => {
      stopKeepAlive?.();
      this.#open.delete(ws);
      const text = reason.length > 0 ? `: ${reason.toString()}` : '';
      logClosed(ctx, {
        bytesDownstreamToUpstream: bytesIn,
        bytesUpstreamToDownstream: bytesOut,
        reason: timedOut
          ? 'inactivity timeout'
          : this.#stopping
            ? 'gateway shutting down (1001)'
            : (errorText ?? `downstream closed (${code}${text})`),
        code,
      });
    });
  }

  stop(): Promise<void> {
    this.#stopping = true;
    return closeAll(this.#open);
  }
}

export function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/**
 * Kaazing's `echo` service: every message comes back as it was sent, text as text and binary as binary (on a
 * tcp:// or ssl:// accept, every chunk of bytes). Useful to check a client, its certificate and the path through
 * load balancers without a backend.
 */
import type { ServiceConfig } from '../config/types.js';
import { endedCause, failedCause, type CloseCause } from '../pipe/close.js';
import type { End } from '../pipe/ends.js';
import { PendingWrites, WRITE_OVERHEAD_BYTES } from '../pipe/pending.js';
import { closeAll } from './close-all.js';
import { logClosed, logOpened } from './connection-log.js';
import type { ConnectionContext, Service } from './types.js';

export class EchoService implements Service {
  readonly available = true;
  readonly #open = new Set<End>();
  readonly #closed = new Set<Promise<void>>();
  #stopping = false;

  constructor(readonly config: ServiceConfig) {}

  handle(end: End, ctx: ConnectionContext): void {
    this.#open.add(end);
    logOpened(ctx);
    const limit = this.config.properties.maximumPendingBytes;
    let bytes = 0;
    // Echoing to a client that does not read would grow the send queue without bound: stop reading above the
    // limit and resume at half, as the proxy does, with the same accounting (one callback, no closure per message).
    const pending = new PendingWrites();
    let paused = false;
    const onSent = (): void => {
      const left = pending.complete();
      if (paused && left <= limit / 2) {
        paused = false;
        end.resume();
      }
    };
    let outcome: { reason: string; cause: CloseCause; code: number | undefined } | undefined;
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    this.#closed.add(closed);
    end.attach({
      data: (payload, binary) => {
        if (!end.writable) return;
        const size = Buffer.isBuffer(payload) ? payload.length : payload.reduce((n, b) => n + b.length, 0);
        bytes += size;
        ctx.traffic.bytesIn += size;
        ctx.traffic.bytesOut += size;
        pending.push(size + WRITE_OVERHEAD_BYTES);
        end.write(payload, binary, onSent);
        if (!paused && pending.bytes > limit) {
          paused = true;
          end.pause();
        }
      },
      ended: (ending) => {
        const text = ending.reason.length > 0 ? `: ${ending.reason}` : '';
        outcome ??= { reason: ending.code === undefined ? 'downstream closed' : `downstream closed (${ending.code}${text})`, cause: endedCause('downstream', ending.lost), code: ending.code };
        // A close frame is answered by the WebSocket itself; a FIN needs ours.
        end.close(undefined, '');
      },
      failed: (_err, description, code) => {
        outcome ??= { reason: description, cause: failedCause('downstream', description, end.kind), code };
      },
      closed: () => {
        end.detach();
        this.#open.delete(end);
        this.#closed.delete(closed);
        logClosed(ctx, {
          bytesDownstreamToUpstream: bytes,
          bytesUpstreamToDownstream: bytes,
          reason: this.#stopping && outcome?.code === 1001 ? 'gateway shutting down (1001)' : (outcome?.reason ?? 'downstream aborted'),
          cause: this.#stopping && outcome?.code === 1001 ? 'gateway' : (outcome?.cause ?? 'downstream_lost'),
          code: outcome?.code,
        });
        resolveClosed();
      },
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await closeAll(this.#open, () => Promise.all(this.#closed));
  }
}

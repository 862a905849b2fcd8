/**
 * The backend connections a proxy keeps ready for its clients (`connect.strategy prepared`, upstream/prepared.ts)
 * as ends: what happens on one while it waits, and how one nobody took is closed.
 *
 * A backend may speak first: an SMTP, FTP or SSH server greets each connection as it opens, and behind a central
 * gateway whatever its own backend writes first reaches a device's prepared connection the same way. What arrives
 * before a client takes the connection is held, in order, and written to that client ahead of anything else
 * (fuse's `held`). The connection is read all the while, so that a backend closing it is seen and it is replaced.
 * What is held is bounded by `maximum.pending.bytes`, counted as the pipe counts what it queues (each chunk or
 * message with its overhead): a backend that sends more than that to a connection nobody reads has it closed by the
 * gateway and replaced, and the pool says so (GW_ERR_UPSTREAM_PREPARED).
 *
 * The gateway closes a connection as it closes a client's, never by dropping it: a close frame (1001, going away) to
 * a WebSocket backend, a FIN to a byte stream, read until the backend has closed too and destroyed only if it has
 * not within the grace period (close-all.ts). A central gateway behind a device that stops then sees the device go
 * away, not a connection lost, and ends its own backend with a FIN rather than a reset.
 */
import type { Logger } from 'pino';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL } from '../pipe/close.js';
import type { End, Ending } from '../pipe/ends.js';
import type { Payload } from '../pipe/fuse.js';
import { WRITE_OVERHEAD_BYTES } from '../pipe/pending.js';
import type { IdleEnding, PreparedOptions } from '../upstream/prepared.js';
import { closeWithDeadline } from './close-all.js';
import type { OpenUpstream } from './proxy.js';

/** A backend connection kept ready for a client, and what its backend sent while it waited. */
export interface PreparedUpstream {
  readonly end: End;
  /** What the backend sent before a client took the connection, in order: that client is sent it first. */
  readonly held: Payload[];
}

export interface PreparedUpstreamOptions {
  readonly open: OpenUpstream;
  /** The connect URI, for messages. */
  readonly upstream: string;
  /** `maximum.pending.bytes`: the most one connection holds for its client. */
  readonly maximumHeldBytes: number;
  /** The close frame's reason when a connection nobody took is closed (the gateway stops, a reload replaced the service). */
  readonly closeReason: () => string;
  /** The service's: a connection that begins to hold what its backend sent says so once, at debug. */
  readonly log: Logger;
}

function noop(): void {}

/** The opener and adapters a PreparedConnections pool of a proxy service is built with. */
export function preparedUpstreams(options: PreparedUpstreamOptions): Pick<PreparedOptions<PreparedUpstream>, 'open' | 'onClose' | 'close'> {
  return {
    open: async (cancellation) => ({ end: (await options.open(undefined, undefined, cancellation)).end, held: [] }),
    onClose: (connection, onEnded) => watchIdle(connection, onEnded, options),
    close: ({ end }) => closeWithDeadline(end, CLOSE_GOING_AWAY, options.closeReason()).then(noop),
  };
}

function sizeOf(payload: Buffer | readonly Buffer[]): number {
  return Buffer.isBuffer(payload) ? payload.length : payload.reduce((n, b) => n + b.length, 0);
}

function describeEnding(ending: Ending): IdleEnding {
  if (ending.lost) return { how: 'failed', reason: 'lost (1006)' };
  if (ending.code === undefined) return { how: 'closed' };
  return { how: 'closed', reason: ending.reason === '' ? String(ending.code) : `${ending.code} ${ending.reason}` };
}

/**
 * Watches an idle connection until it is taken (the returned function) or ends. Once it can no longer be handed out
 * it is released (the pool is told how it ended, at once, so that it is never taken while closing) and closed here.
 */
function watchIdle(connection: PreparedUpstream, onEnded: (ending: IdleEnding) => void, options: PreparedUpstreamOptions): () => void {
  const { end, held } = connection;
  let watching = true;
  let heldBytes = 0;
  const release = (ending: IdleEnding, code: number, reason: string): void => {
    watching = false;
    end.detach();
    held.length = 0;
    onEnded(ending);
    // Read until its close is complete, with a deadline: a backend that has closed is answered in kind, a byte
    // stream's FIN included (upstream sockets are half-open: its FIN alone leaves ours to send).
    void closeWithDeadline(end, code, reason);
  };
  end.attach({
    data: (payload, binary) => {
      const length = sizeOf(payload);
      heldBytes += length + WRITE_OVERHEAD_BYTES;
      if (heldBytes > options.maximumHeldBytes) {
        const reason = `what ${options.upstream} sent before a client took it outgrew maximum.pending.bytes (${options.maximumHeldBytes})`;
        release({ how: 'dropped', reason }, CLOSE_GOING_AWAY, 'sent too much before a client came');
        return;
      }
      if (held.length === 0) options.log.debug({ upstream: options.upstream, bytes: length }, `a prepared connection to ${options.upstream} holds what its backend sent first, for the client that takes it`);
      held.push({ data: payload, binary });
    },
    ended: (ending) => release(describeEnding(ending), CLOSE_NORMAL, ''),
    failed: (_err, description) => {
      end.destroy();
      release({ how: 'failed', reason: description }, CLOSE_NORMAL, '');
    },
    // Neither a clean end nor a failure reported first: it was destroyed under the pool.
    closed: () => release({ how: 'failed', reason: 'aborted' }, CLOSE_NORMAL, ''),
  });
  return () => {
    if (!watching) return;
    watching = false;
    end.detach();
    // Not read again until its next owner attaches (the pipe, or the close at stop()), so that nothing it sends in
    // between is read with no one to take it.
    end.pause();
  };
}

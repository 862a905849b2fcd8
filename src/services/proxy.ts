/**
 * Kaazing's `proxy` service: each client gets its own connection to the service's `<connect>` target and the two
 * are fused (src/pipe/fuse.ts), whatever each side's transport: a WebSocket or a byte stream. Connecting happens
 * when the client is accepted (`immediate`), on its first message (`deferred`), or not at all when a connection
 * kept ready (`prepared`) is at hand; what that connection's backend sent before the client came is the client's
 * first bytes (prepared-upstream.ts). With `maximum.recovery.interval` set, a failed connect takes the service's
 * accepts down until a backoff probe reaches the backend again.
 */
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { DeadlineList } from '../timers/deadlines.js';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, closeReason, endedCause, failedCause, type CloseCause } from '../pipe/close.js';
import type { End } from '../pipe/ends.js';
import { fuse, type Payload } from '../pipe/fuse.js';
import { PreparedConnections } from '../upstream/prepared.js';
import { Cancellation } from '../upstream/cancellation.js';
import { Recovery } from '../upstream/recovery.js';
import { closeAll, closeWithDeadline } from './close-all.js';
import { logClosed, logOpened } from './connection-log.js';
import { preparedUpstreams, type PreparedUpstream } from './prepared-upstream.js';
import type { ClientRequest, ConnectionContext, OpenedUpstream, Service } from './types.js';

/**
 * Opens the backend connection for one client (`ctx` undefined: a prepared connection, for no client yet). Built from the service's `<connect>` and stores by the gateway;
 * rejects with a GatewayError naming what failed.
 */
export type OpenUpstream = (ctx: ConnectionContext | undefined, request: ClientRequest | undefined, cancellation: Cancellation) => Promise<OpenedUpstream>;

export interface ProxyDependencies {
  readonly open: OpenUpstream;
  /** Reaches the backend once and lets go again: recovery's probe. */
  readonly probe: () => Promise<void>;
  /** The service's logger, for events that belong to no single connection (recovery). */
  readonly log: Logger;
}

/**
 * A backend connected for a client, what the client sent while it was being connected, and what a prepared
 * connection's backend sent before the client came: each written first, to its side.
 */
interface Connected {
  readonly upstream: End;
  readonly early: readonly Payload[];
  readonly held: readonly Payload[] | undefined;
}

/** How a client went before its pipe ran, for its close line. */
interface Gone {
  readonly reason: string;
  readonly cause: CloseCause;
  readonly code: number | undefined;
}

export class ProxyService implements Service {
  readonly #deps: ProxyDependencies;
  /** idle.timeout for clients a deferred connect waits on: one list for all of them, as deadlines are kept. */
  readonly #waitingIdle: DeadlineList | undefined;
  readonly #upstream: string;
  readonly #recovery: Recovery | undefined;
  /** `connect.strategy prepared`: backend connections kept open ahead of clients. */
  readonly #prepared: PreparedConnections<PreparedUpstream> | undefined;
  /** What a prepared connection nobody took is told when it is closed. */
  #preparedCloseReason = 'gateway shutting down';
  /** Each client from handle() until its close line is written, so stop() returns only once every one is. */
  readonly #open = new Set<End>();
  /** Called once #open is empty (stop() waiting for the last close line). */
  readonly #whenEmpty: (() => void)[] = [];
  #stopping = false;

  constructor(
    readonly config: ServiceConfig,
    deps: ProxyDependencies,
  ) {
    this.#deps = deps;
    const upstream = config.connect?.uri ?? '';
    this.#upstream = upstream;
    const idleMs = config.properties.idleTimeoutMs;
    this.#waitingIdle = config.properties.connectStrategy === 'deferred' && idleMs > 0 ? new DeadlineList(idleMs) : undefined;
    const count = config.properties.connectStrategy === 'prepared' ? config.properties.preparedConnectionCount : 0;
    if (count > 0) {
      this.#prepared = new PreparedConnections<PreparedUpstream>({
        count,
        name: upstream,
        ...preparedUpstreams({
          open: deps.open,
          upstream,
          maximumHeldBytes: config.properties.maximumPendingBytes,
          closeReason: () => this.#preparedCloseReason,
          log: deps.log,
        }),
      });
      const described = (err: unknown) => ({ upstream, code: (err as { code?: unknown }).code, reason: err instanceof Error ? err.message : String(err) });
      this.#prepared.on('down', (err: unknown) => deps.log.warn(described(err), `service ${config.name}: no prepared connection to ${upstream}; clients connect directly meanwhile`));
      this.#prepared.on('dropped', (err: unknown) => deps.log.warn(described(err), `service ${config.name}: a prepared connection to ${upstream} was closed by the gateway; opening another`));
      // A backend that closes idle connections (its own timeout) does so to every ready one, again and again: that is
      // routine, said at debug and without a code; one that failed (lost, or silent past ws.inactivity.timeout) is not.
      this.#prepared.on('ended', (err: unknown, failed: boolean) => {
        const message = `service ${config.name}: a prepared connection to ${upstream} ${failed ? 'failed' : 'was closed by its backend'} while it waited for a client; opening another`;
        if (failed) deps.log.info(described(err), message);
        else deps.log.debug({ upstream, reason: err instanceof Error ? err.message : String(err) }, message);
      });
      // The retry's connection opened; whether it lasts is not known yet (one the backend drops at once is a failure).
      this.#prepared.on('up', () => deps.log.info({ upstream }, `service ${config.name}: a prepared connection to ${upstream} opened again; filling the pool`));
    }
    const maxIntervalMs = config.properties.maximumRecoveryIntervalS * 1000;
    if (maxIntervalMs > 0) {
      this.#recovery = new Recovery({ maxIntervalMs, probe: deps.probe });
      this.#recovery.on('down', (err: unknown) =>
        deps.log.warn(
          { upstream, reason: err instanceof Error ? err.message : String(err) },
          `service ${config.name}: accepts taken down until ${upstream} is reachable`,
        ),
      );
      this.#recovery.on('up', () => deps.log.info({ upstream }, `service ${config.name}: backend reachable, accepts restored`));
    }
  }

  get available(): boolean {
    return this.#recovery?.up ?? true;
  }

  /**
   * A WebSocket backend is connected before its client's upgrade is answered, so that the client is told the
   * subprotocol the backend chose; a backend that cannot be reached then costs the client a 502, not a close.
   */
  get connectsBeforeUpgrade(): boolean {
    const scheme = this.config.connect?.scheme;
    return scheme === 'ws' || scheme === 'wss';
  }

  get holdsClientCloses(): boolean {
    const scheme = this.config.connect?.scheme;
    return scheme === 'tcp' || scheme === 'ssl';
  }

  /** Opens the backend for a client whose upgrade is still to be answered (see connectsBeforeUpgrade). */
  async prepareUpgrade(ctx: ConnectionContext, request: ClientRequest, cancellation: Cancellation): Promise<OpenedUpstream> {
    try {
      return await this.#deps.open(ctx, request, cancellation);
    } catch (err) {
      if (!cancellation.cancelled) this.#connectFailed(ctx, err);
      throw err;
    }
  }

  /**
   * Logs a failed backend connect and, when the backend itself could not be reached, counts it towards taking the
   * service down. A backend that answered one client's upgrade with a refusal is reachable: that is no outage.
   */
  #connectFailed(ctx: ConnectionContext, err: unknown): void {
    const { code, hint } = err as { code?: unknown; hint?: unknown };
    ctx.log.warn({ upstream: this.#upstream, code, reason: err instanceof Error ? err.message : String(err), ...(typeof hint === 'string' ? { hint } : {}) }, `Connection to ${this.#upstream} failed`);
    if (code === 'GW_ERR_UPSTREAM_CONNECT' || code === 'GW_ERR_UPSTREAM_TLS') this.#recovery?.reportFailure(err);
  }

  handle(downstream: End, ctx: ConnectionContext, upstream?: End): void {
    this.#open.add(downstream);
    logOpened(ctx, this.#upstream);
    // Connecting and piping are two steps: the connect's state (what the client sent meanwhile, its cancellation,
    // the frame of the async function) is let go once the pipe runs, rather than kept for the connection's life;
    // a piped connection then holds one promise, the pipe's, and its continuation.
    void this.#connect(downstream, ctx, upstream).then(
      (connected) => {
        if (connected === undefined) this.#finished(downstream);
        else this.#pipe(downstream, ctx, connected);
      },
      (err: unknown) => this.#failedUnexpectedly(downstream, ctx, err),
    );
  }

  /** A failure connecting or piping does not expect is a bug: it costs this client its connection, never the process. */
  #failedUnexpectedly(downstream: End, ctx: ConnectionContext, err: unknown): void {
    ctx.log.error({ code: 'GW_ERR_INTERNAL', err }, 'connection failed unexpectedly: closed');
    downstream.destroy();
    logClosed(ctx, { upstream: this.#upstream, bytesDownstreamToUpstream: 0, bytesUpstreamToDownstream: 0, reason: 'failed unexpectedly (GW_ERR_INTERNAL)', cause: 'downstream_lost', code: undefined });
    this.#finished(downstream);
  }

  #finished(downstream: End): void {
    this.#open.delete(downstream);
    if (this.#open.size > 0) return;
    for (const fn of this.#whenEmpty.splice(0)) fn();
  }

  /** The backend for `downstream`, and what the client sent meanwhile; undefined when there is nothing to pipe (logged). */
  async #connect(downstream: End, ctx: ConnectionContext, opened: End | undefined): Promise<Connected | undefined> {
    const closedBeforePipe = (reason: string, cause: CloseCause, code: number | undefined) =>
      logClosed(ctx, { upstream: this.#upstream, bytesDownstreamToUpstream: 0, bytesUpstreamToDownstream: 0, reason, cause, code });
    // A client idle before its first message is closed as the pipe closes an idle one. A WebSocket client gone by its
    // close frame may keep its TCP side open after ws answered it: it is given the grace period to close it, as a
    // client the gateway closes is.
    const letGo = (how: Gone): void => {
      if (how.cause === 'idle') void closeWithDeadline(downstream, how.code, 'idle timeout');
      else if (downstream.kind === 'messages') void closeWithDeadline(downstream, CLOSE_NORMAL, '');
    };

    // What the client sends before the backend is connected is held (reading stops after it, so at most what was
    // already read) and written first once it is. How the client went away meanwhile, if it did, is its own doing,
    // never the backend's.
    const early: Payload[] = [];
    let gone: Gone | undefined;
    const cancellation = new Cancellation();
    let firstData: () => void = () => undefined;
    downstream.attach({
      data: (data, binary) => {
        early.push({ data, binary });
        firstData();
      },
      ended: (ending) => {
        // A byte stream's FIN is a half-close, not a departure: what it sent is delivered and the FIN passed on. So
        // is a close frame whose answer the WebSocket holds (ends.ts, holdClose).
        if ((downstream.kind === 'bytes' || downstream.holdingClose === true) && !ending.lost) {
          firstData();
          return;
        }
        gone ??= { reason: ending.lost ? 'downstream lost (1006)' : ending.code === undefined ? 'downstream closed' : `downstream closed (${ending.code})`, cause: endedCause('downstream', ending.lost), code: ending.code };
        cancellation.cancel();
      },
      failed: (_err, description, code) => {
        gone ??= { reason: description, cause: failedCause('downstream', description, downstream.kind), code };
        cancellation.cancel();
      },
      closed: () => {
        gone ??= { reason: 'downstream aborted', cause: 'downstream_lost', code: undefined };
        cancellation.cancel();
      },
    });

    let upstream: End;
    let held: Payload[] | undefined;
    try {
      if (opened) {
        upstream = opened;
      } else {
        if (this.config.properties.connectStrategy === 'deferred' && early.length === 0) {
          // idle.timeout counts from the client's connect here: no pipe watches it before the backend is connected.
          const idle = this.#waitingIdle?.add(() => {
            gone ??= { reason: `idle for ${this.config.properties.idleTimeoutMs / 1000} s (idle.timeout)`, cause: 'idle', code: downstream.kind === 'messages' ? CLOSE_GOING_AWAY : undefined };
            cancellation.cancel();
          });
          try {
            await new Promise<void>((resolve, reject) => {
              firstData = resolve;
              const aborted = () => reject(new GatewayError('GW_ERR_STATE', 'downstream went away before its first message'));
              cancellation.onCancel(aborted);
            });
          } finally {
            idle?.cancel();
          }
        }
        downstream.pause();
        const prepared = this.#prepared?.take();
        held = prepared?.held;
        upstream = prepared?.end ?? (await this.#deps.open(ctx, undefined, cancellation)).end;
      }
    } catch (err) {
      downstream.detach();
      if (gone) {
        letGo(gone);
        closedBeforePipe(`${gone.reason} before the upstream was connected`, gone.cause, gone.code);
        return undefined;
      }
      const message = `Connection to ${this.#upstream} failed`;
      this.#connectFailed(ctx, err);
      // A WebSocket client is told why; a byte-stream client is reset, so that it cannot take the failure for an
      // empty answer.
      if (downstream.kind === 'bytes') {
        downstream.abort();
        closedBeforePipe(err instanceof Error ? err.message : `${message}: ${String(err)}`, 'upstream_error', undefined);
        return undefined;
      }
      const code = await closeWithDeadline(downstream, 1011, closeReason(message));
      closedBeforePipe(err instanceof Error ? err.message : `${message}: ${String(err)}`, 'upstream_error', code);
      return undefined;
    }
    downstream.detach();
    if (gone) {
      upstream.abort();
      letGo(gone);
      closedBeforePipe(`${gone.reason} before the upstream was connected`, gone.cause, gone.code);
      return undefined;
    }
    return { upstream, early, held };
  }

  /** Pipes until both sides have closed, then writes the close line. */
  #pipe(downstream: End, ctx: ConnectionContext, { upstream, early, held }: Connected): void {
    void fuse(downstream, upstream, {
      maximumPendingBytes: this.config.properties.maximumPendingBytes,
      closeTimeoutMs: this.config.properties.closeTimeoutMs,
      idleTimeoutMs: this.config.properties.idleTimeoutMs,
      initial: early.length > 0 ? early : undefined,
      held: held !== undefined && held.length > 0 ? held : undefined,
      traffic: ctx.traffic,
    }).then((result) => {
      try {
        logClosed(ctx, {
          upstream: this.#upstream,
          bytesDownstreamToUpstream: result.bytesDownstreamToUpstream,
          bytesUpstreamToDownstream: result.bytesUpstreamToDownstream,
          reason: this.#stopping && result.closedBy === 'downstream' ? 'gateway shutting down (1001)' : result.reason,
          cause: this.#stopping && result.closedBy === 'downstream' ? 'gateway' : result.cause,
          code: result.code,
        });
      } finally {
        this.#finished(downstream);
      }
    }, (err: unknown) => this.#failedUnexpectedly(downstream, ctx, err));
  }

  /** Opens the prepared connections, if any: at start, never while a configuration is only checked. */
  start(): void {
    this.#prepared?.start();
  }

  stopPreparing(reason: string): number {
    const pool = this.#prepared;
    if (pool === undefined) return 0;
    // Read by the pool's close adapter as it closes them, below; a later call finds none left.
    this.#preparedCloseReason = reason;
    const ready = pool.ready;
    void pool.stop();
    return ready;
  }

  retire(): void {
    this.#recovery?.stop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#recovery?.stop();
    this.stopPreparing('gateway shutting down');
    // Each is either piped (the pipe sees the close and ends the backend too) or still connecting (it sees the
    // client go and gives up): either way its run then finishes. The prepared connections nobody took are closed as
    // clients are, and waited for alike.
    await Promise.all([
      this.#prepared?.stop(),
      closeAll(this.#open, () => (this.#open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#whenEmpty.push(resolve)))),
    ]);
  }
}

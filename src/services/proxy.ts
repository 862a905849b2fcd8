/**
 * Kaazing's `proxy` service: each WebSocket gets its own connection to the service's `<connect>` target and the two
 * are fused into a byte pipe. Connecting happens when the client is accepted (`immediate`) or on its first message
 * (`deferred`). With `maximum.recovery.interval` set, a failed connect takes the service's accepts down until a
 * backoff probe reaches the backend again.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { ConnectUri, ServiceConfig } from '../config/types.js';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import { closeReason, describeWsError, errorName, wsErrorStatus } from '../pipe/close.js';
import { fuse } from '../pipe/fuse.js';
import { keepAlive } from '../pipe/heartbeat.js';
import type { Connector, UpstreamTarget } from '../upstream/connector.js';
import { encodeProxyV1, encodeProxyV2, type ProxyHeaderInfo } from '../upstream/proxy-protocol.js';
import { Recovery } from '../upstream/recovery.js';
import { closeAll, closeWithDeadline } from './close-all.js';
import { logClosed, logOpened } from './connection-log.js';
import type { ConnectionContext, Service } from './types.js';

export interface ProxyDependencies {
  readonly connector: Connector;
  /** TLS options for an ssl:// connect, built once from the stores; undefined for tcp://. */
  readonly upstreamTls: ConnectionOptions | undefined;
  /** The service's logger, for events that belong to no single connection (recovery). */
  readonly log: Logger;
}

export class ProxyService implements Service {
  readonly #deps: ProxyDependencies;
  readonly #target: UpstreamTarget;
  readonly #recovery: Recovery | undefined;
  readonly #open = new Set<WebSocket>();
  /** Each connection's whole life, so stop() returns only once every close line is written. */
  readonly #runs = new Set<Promise<void>>();
  #stopping = false;

  constructor(
    readonly config: ServiceConfig,
    deps: ProxyDependencies,
  ) {
    this.#deps = deps;
    const connect = config.connect as ConnectUri; // config guarantees a connect for proxy services
    this.#target = {
      uri: connect.uri,
      scheme: connect.scheme as 'tcp' | 'ssl',
      host: connect.host,
      port: connect.port,
      localAddress: config.connectOptions.tcpBind?.host,
      tls: deps.upstreamTls,
    };
    const maxIntervalMs = config.properties.maximumRecoveryIntervalS * 1000;
    if (maxIntervalMs > 0) {
      this.#recovery = new Recovery({
        maxIntervalMs,
        probe: async () => {
          const socket = await deps.connector(this.#target);
          socket.destroy();
        },
      });
      this.#recovery.on('down', (err: unknown) =>
        deps.log.warn(
          { upstream: connect.uri, reason: err instanceof Error ? err.message : String(err) },
          `service ${config.name}: accepts taken down until ${connect.uri} is reachable`,
        ),
      );
      this.#recovery.on('up', () => deps.log.info({ upstream: connect.uri }, `service ${config.name}: backend reachable, accepts restored`));
    }
  }

  get available(): boolean {
    return this.#recovery?.up ?? true;
  }

  handle(ws: WebSocket, ctx: ConnectionContext): void {
    this.#open.add(ws);
    logOpened(ctx, this.#target.uri);
    // ws always follows an 'error' with 'close', which is where the outcome is read; this keeps an error between
    // the phases below from being thrown.
    ws.on('error', noop);
    // Until the pipe runs (and takes over the inactivity check), idle clients are pinged here.
    const timeoutMs = this.config.acceptOptions.wsInactivityTimeoutMs;
    const idle = { timedOut: false };
    const stopKeepAlive = timeoutMs > 0 ? keepAlive(ws, timeoutMs, () => (idle.timedOut = true)) : noop;
    const run = this.#run(ws, ctx, stopKeepAlive, idle).finally(() => {
      stopKeepAlive();
      this.#open.delete(ws);
      this.#runs.delete(run);
    });
    this.#runs.add(run);
  }

  async #run(ws: WebSocket, ctx: ConnectionContext, stopKeepAlive: () => void, idle: { timedOut: boolean }): Promise<void> {
    const closedBeforePipe = (reason: string, code: number | undefined) =>
      logClosed(ctx, { upstream: this.#target.uri, bytesDownstreamToUpstream: 0, bytesUpstreamToDownstream: 0, reason, code });

    let header: Buffer | undefined;
    try {
      header = this.#proxyHeader(ctx);
    } catch (err) {
      ctx.log.error({ err }, 'PROXY protocol header could not be built');
      const code = await closeWithDeadline(ws, 1011, 'PROXY protocol header could not be built');
      closedBeforePipe(`PROXY protocol header could not be built: ${errorName(err)}`, code);
      return;
    }

    // Frames that arrive before the backend is connected are held here (the socket is paused, so at most what was
    // already read) and written first once it is.
    const early: Buffer[] = [];
    const hold = (data: RawData) => {
      early.push(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data);
    };
    // Why the client went away before the pipe ran, if it did: its fault, never the backend's.
    let gone: { reason: string; code: number | undefined } | undefined;
    const abort = new AbortController();
    const onClose = (code: number) => {
      gone ??= { reason: idle.timedOut ? 'inactivity timeout' : `downstream closed (${code})`, code };
      abort.abort();
    };
    const onError = (err: Error) => {
      const status = wsErrorStatus(err);
      gone ??= { reason: describeWsError(err, status), code: status };
      abort.abort();
    };
    ws.on('message', hold);
    ws.once('close', onClose);
    ws.on('error', onError);
    const detach = () => {
      ws.off('message', hold);
      ws.off('close', onClose);
      ws.off('error', onError);
    };

    let upstream: Socket;
    try {
      if (this.config.properties.connectStrategy === 'deferred') await firstMessage(ws, abort.signal);
      ws.pause();
      upstream = await this.#deps.connector(this.#target, abort.signal);
    } catch (err) {
      detach();
      if (gone) {
        closedBeforePipe(`${gone.reason} before the upstream was connected`, gone.code);
        return;
      }
      const message = `Connection to ${this.#target.uri} failed`;
      ctx.log.warn({ upstream: this.#target.uri, code: (err as { code?: unknown }).code, reason: err instanceof Error ? err.message : String(err) }, message);
      this.#recovery?.reportFailure(err);
      const code = await closeWithDeadline(ws, 1011, closeReason(message));
      closedBeforePipe(err instanceof Error ? err.message : `${message}: ${String(err)}`, code);
      return;
    }
    detach();
    if (gone) {
      upstream.destroy();
      closedBeforePipe(`${gone.reason} before the upstream was connected`, gone.code);
      return;
    }
    if (header) upstream.write(header);
    stopKeepAlive();
    const result = await fuse(ws, upstream, {
      maximumPendingBytes: this.config.properties.maximumPendingBytes,
      initial: early,
      inactivityTimeoutMs: this.config.acceptOptions.wsInactivityTimeoutMs,
    });
    logClosed(ctx, {
      upstream: this.#target.uri,
      bytesDownstreamToUpstream: result.bytesDownstreamToUpstream,
      bytesUpstreamToDownstream: result.bytesUpstreamToDownstream,
      reason: this.#stopping && result.closedBy === 'downstream' ? 'gateway shutting down (1001)' : result.reason,
      code: result.code,
    });
  }

  /** `tcp.proxy-protocol`: tells the backend who the client is before the first byte of its stream. */
  #proxyHeader(ctx: ConnectionContext): Buffer | undefined {
    const version = this.config.connectOptions.tcpProxyProtocol;
    if (version === 'none') return undefined;
    const id = ctx.identity;
    const info: ProxyHeaderInfo = {
      sourceAddress: ctx.downstreamAddress,
      sourcePort: ctx.downstreamPort,
      destinationAddress: ctx.localAddress,
      destinationPort: ctx.localPort,
      ...(ctx.tlsVersion !== undefined
        ? {
            ssl: {
              presented: id?.presented ?? false,
              verified: id?.verified ?? false,
              version: ctx.tlsVersion,
              ...(id?.subjectAttributes['CN']?.[0] !== undefined ? { cn: id.subjectAttributes['CN'][0] } : {}),
            },
          }
        : {}),
      ...(ctx.servername !== undefined ? { authority: ctx.servername } : {}),
    };
    return version === 'v1' ? encodeProxyV1(info) : encodeProxyV2(info);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#recovery?.stop();
    await closeAll(this.#open);
    await Promise.all(this.#runs);
  }
}

function noop(): void {}

function firstMessage(ws: WebSocket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      ws.off('message', done);
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      ws.off('message', done);
      reject(new GatewayError('GW_ERR_STATE', 'downstream went away before its first message'));
    };
    if (signal.aborted) return aborted();
    ws.on('message', done);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

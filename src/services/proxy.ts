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
import { fuse } from '../pipe/fuse.js';
import { keepAlive } from '../pipe/heartbeat.js';
import type { Connector, UpstreamTarget } from '../upstream/connector.js';
import { encodeProxyV1, encodeProxyV2, type ProxyHeaderInfo } from '../upstream/proxy-protocol.js';
import { Recovery } from '../upstream/recovery.js';
import { closeAll } from './close-all.js';
import { logClosed, logOpened } from './connection-log.js';
import type { ConnectionContext, Service } from './types.js';

export interface ProxyDependencies {
  readonly connector: Connector;
  /** TLS options for an ssl:// connect, built once from the stores; undefined for tcp://. */
  readonly upstreamTls: ConnectionOptions | undefined;
  /** The service's logger, for events that belong to no single connection (recovery). */
  readonly log: Logger;
}

/** WebSocket close reasons are limited to 123 bytes (RFC 6455 §5.5). */
function closeReason(text: string): string {
  const buf = Buffer.from(text);
  return buf.length <= 123 ? text : buf.subarray(0, 120).toString() + '...';
}

export class ProxyService implements Service {
  readonly #deps: ProxyDependencies;
  readonly #target: UpstreamTarget;
  readonly #recovery: Recovery | undefined;
  readonly #open = new Set<WebSocket>();

  constructor(
    readonly config: ServiceConfig,
    deps: ProxyDependencies,
  ) {
    this.#deps = deps;
    const connect = config.connect as ConnectUri; // config guarantees a connect for proxy services
    this.#target = {
      uri: connect.uri,
      scheme: connect.scheme,
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
        deps.log.warn({ err, upstream: connect.uri }, `service ${config.name}: accepts taken down until ${connect.uri} is reachable`),
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
    // Until the pipe runs (and takes over the inactivity check), idle clients are pinged here.
    const timeoutMs = this.config.acceptOptions.wsInactivityTimeoutMs;
    const idle = { timedOut: false };
    const stopKeepAlive = timeoutMs > 0 ? keepAlive(ws, timeoutMs, () => (idle.timedOut = true)) : () => {};
    void this.#run(ws, ctx, stopKeepAlive, idle).finally(() => {
      stopKeepAlive();
      this.#open.delete(ws);
    });
  }

  async #run(ws: WebSocket, ctx: ConnectionContext, stopKeepAlive: () => void, idle: { timedOut: boolean }): Promise<void> {
    // Frames that arrive before the backend is connected are held here (the socket is paused, so at most what was
    // already read) and written first once it is.
    const early: Buffer[] = [];
    const hold = (data: RawData) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      early.push(chunk);
    };
    const abort = new AbortController();
    let downstreamClose: { code: number; reason: string } | undefined;
    const onClose = (code: number, reason: Buffer) => {
      downstreamClose = { code, reason: reason.toString() };
      abort.abort();
    };
    ws.on('message', hold);
    ws.once('close', onClose);
    ws.on('error', () => abort.abort());
    try {
      if (this.config.properties.connectStrategy === 'deferred') {
        await firstMessage(ws, abort.signal);
      }
      ws.pause();
      const header = this.#proxyHeader(ctx);
      const upstream = await this.#deps.connector(this.#target, abort.signal);
      if (header) upstream.write(header);
      ws.off('message', hold);
      ws.off('close', onClose);
      if (downstreamClose) {
        upstream.destroy();
        throw new Error('downstream closed while connecting');
      }
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
        reason: result.reason,
        code: result.code,
      });
    } catch (err) {
      ws.off('message', hold);
      ws.off('close', onClose);
      if (downstreamClose) {
        logClosed(ctx, {
          upstream: this.#target.uri,
          bytesDownstreamToUpstream: 0,
          bytesUpstreamToDownstream: 0,
          reason: idle.timedOut
            ? 'inactivity timeout before the upstream was connected'
            : `downstream closed (${downstreamClose.code}) before the upstream was connected`,
          code: downstreamClose.code,
        });
        return;
      }
      const message = `Connection to ${this.#target.uri} failed`;
      ctx.log.warn({ err, upstream: this.#target.uri }, message);
      this.#recovery?.reportFailure(err);
      await closeDownstream(ws, 1011, closeReason(message));
      logClosed(ctx, {
        upstream: this.#target.uri,
        bytesDownstreamToUpstream: 0,
        bytesUpstreamToDownstream: 0,
        reason: `${message}: ${err instanceof Error ? err.message : String(err)}`,
        code: 1011,
      });
    }
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
    this.#recovery?.stop();
    await closeAll(this.#open);
  }
}

function firstMessage(ws: WebSocket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      ws.off('message', done);
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      ws.off('message', done);
      reject(new Error('downstream closed before its first message'));
    };
    if (signal.aborted) return aborted();
    ws.on('message', done);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

function closeDownstream(ws: WebSocket, code: number, reason: string): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    const timer = setTimeout(() => ws.terminate(), 5000);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
    ws.close(code, reason);
  });
}

/**
 * Kaazing's `http.redirect` service: every request, whatever its method, is answered with `status-code` and a
 * Location. Unlike Kaazing, which sent `location` as written, the request's path below the accept path and its
 * query are appended (`http://host/a?b` → `https://host/a?b`), which is what an HTTP → HTTPS redirect needs.
 * `cache-control`, when given, is sent with `Expires` at the epoch, as Kaazing sent it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RedirectProperties, ServiceConfig } from '../config/types.js';
import type { End } from '../pipe/ends.js';
import { requestPath } from './request-path.js';
import type { ConnectionContext, Service } from './types.js';

const EPOCH = new Date(0).toUTCString();

export class RedirectService implements Service {
  readonly available = true;
  readonly #properties: RedirectProperties;

  constructor(readonly config: ServiceConfig) {
    if (config.redirect === undefined) throw new TypeError('an http.redirect service needs its redirect properties');
    this.#properties = config.redirect;
  }

  /** Never routed here: the listener sends a service on http:// and https:// accepts plain requests only. */
  handle(downstream: End): void {
    downstream.destroy();
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    const { query, below } = requestPath(req.url, this.config, ctx);
    // The path is sent on as the client wrote it (still percent-encoded); only a path that is not one is dropped.
    const path = below.startsWith('/') ? below : '';
    const location = `${this.#properties.location}${path}${query}`;
    const body = `Redirecting to ${location}\n`;
    res.writeHead(this.#properties.statusCode, {
      Location: location,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      ...(this.#properties.cacheControl === undefined ? {} : { 'Cache-Control': this.#properties.cacheControl, Expires: EPOCH }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The parts of a plain request's URL an HTTP service answers by. */
import type { ServiceConfig } from '../config/types.js';
import type { ConnectionContext } from './types.js';

export interface RequestPath {
  /** The path as the client sent it (still percent-encoded), without the query. */
  readonly path: string;
  /** `?…` as sent, or `''`. */
  readonly query: string;
  /** The path below the accept path the request was routed by: `''`, `/`, `/a/b`, … */
  readonly below: string;
}

export function requestPath(url: string | undefined, config: ServiceConfig, ctx: ConnectionContext): RequestPath {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const acceptPath = config.accepts.find((a) => a.uri === ctx.accept)?.path ?? '/';
  return { path, query: q >= 0 ? raw.slice(q) : '', below: acceptPath === '/' ? path : path.slice(acceptPath.length) };
}

/**
 * Which service a request on one listener belongs to: by Host header, then by the longest accept path that is the
 * request path or a prefix of it on a segment boundary (`/v1/devices` serves `/v1/devices/device-1`).
 */
import type { WebSocketServer } from 'ws';
import type { AccessRules } from '../auth/access.js';
import type { Realm } from '../auth/realm/realm.js';
import type { AcceptUri } from '../config/types.js';
import { isHttpScheme } from '../config/uris.js';
import type { ServiceMeter } from '../metrics/types.js';
import type { Service } from '../services/types.js';

export interface Route {
  readonly accept: AcceptUri;
  readonly service: Service;
  /** The service's own upgrade handler (its limits, such as the maximum message size, differ per service); none on tcp:// and ssl:// accepts. */
  readonly wss: WebSocketServer | undefined;
  /** The service's compiled access-constraints (empty: every client that passed TLS). */
  readonly access: AccessRules;
  /** The service's metrics, bound once. */
  readonly meter: ServiceMeter;
  /** The realm the service names (`<realm-name>`), ready to serve; undefined = none. */
  readonly realm?: Realm | undefined;
  /**
   * Whether the accept is served over TLS. On an address shared by ws:// and wss:// accepts, a connection is
   * routed among the accepts of its own transport only.
   */
  readonly secure?: boolean;
}

/** The host part of a Host header, lower case, without port or IPv6 brackets. */
export function hostOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : undefined;
  }
  const colon = h.indexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** The request path of a URL as routes compare it: no query, no trailing slash, `/` for none. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  const raw = q >= 0 ? url.slice(0, q) : url;
  return raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw || '/';
}

/**
 * A request path as a service that decodes it reads it (a directory does): each segment percent-decoded, empty
 * segments dropped. Undefined when a segment does not decode (the service refuses such a path itself).
 */
export function decodedPath(path: string): string | undefined {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      return undefined;
    }
  }
  return `/${segments.join('/')}`;
}

export function pathMatches(acceptPath: string, requestPath: string): boolean {
  if (acceptPath === '/') return true;
  return requestPath === acceptPath || requestPath.startsWith(acceptPath + '/');
}

/** What a route serves: WebSocket upgrades (ws://, wss://, and the byte streams of tcp://, ssl://) or plain HTTP requests. */
export type RouteKind = 'upgrade' | 'request';

export function routeKind(route: Route): RouteKind {
  return isHttpScheme(route.accept.scheme) ? 'request' : 'upgrade';
}

export class RouteTable {
  readonly #routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    // Longest path first, so the first match is the most specific.
    this.#routes = [...routes].sort((a, b) => b.accept.path.length - a.accept.path.length);
  }

  get routes(): readonly Route[] {
    return this.#routes;
  }

  /**
   * Accepts whose host equals the Host header win; when no accept on this address names that host (a client that
   * dialled an IP address, say), every accept is a candidate and the path alone decides. Upgrades are routed among
   * the WebSocket accepts only, plain requests among the HTTP ones.
   */
  match(hostHeader: string | undefined, path: string, kind: RouteKind = 'upgrade', secure?: boolean): Route | undefined {
    const host = hostOf(hostHeader);
    const ofKind = this.#routes.filter((r) => routeKind(r) === kind && (secure === undefined || r.secure === undefined || r.secure === secure));
    const named = ofKind.filter((r) => r.accept.host === host);
    const candidates = named.length > 0 ? named : ofKind;
    return candidates.find((r) => pathMatches(r.accept.path, path));
  }
}

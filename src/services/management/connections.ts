/**
 * The live connections as the management API shows them: filtered by service, subject, fingerprint or free text,
 * paged, and closed one by one or by identity. A page is built by one pass over the registry (no copy of it), so a
 * gateway holding 10,000 clients answers a page of 100 without sorting or allocating 10,000 rows.
 */
import type { Session, SessionRegistry } from '../sessions.js';
import { chainEnd } from '../../tls/chain-end.js';

export const DEFAULT_PAGE = 100;
export const MAXIMUM_PAGE = 1000;

/** The close code and reason a client closed from the management API gets. */
export const OPERATOR_CLOSE_CODE = 1008;
export const OPERATOR_CLOSE_REASON = 'closed by the gateway operator';

export interface ConnectionFilter {
  readonly service?: string | undefined;
  /** The certificate subject, exactly as listed (`CN=device-1, O=Acme`). */
  readonly subject?: string | undefined;
  /** The SHA-256 fingerprint, any case, with or without colons. */
  readonly fingerprint?: string | undefined;
  /** Text found (any case) in the id, address, service, subject or realm principal: for the status page's search box. */
  readonly text?: string | undefined;
}

export interface ConnectionRow {
  readonly id: string;
  readonly service: string;
  readonly accept: string;
  readonly path: string | null;
  readonly address: string;
  readonly port: number;
  readonly subject: string | null;
  readonly fingerprint: string | null;
  readonly verified: boolean | null;
  /** The name a realm admitted the client as (a user, or `token:` and a token's digest); null without a realm. */
  readonly principal: string | null;
  /**
   * The realm whose certificate ticket admitted the client, which presented no certificate on this connection (the
   * subject and fingerprint are the certificate's the ticket stands for); null for a certificate presented here.
   */
  readonly ticket: string | null;
  /**
   * When the client certificate, or a CA of the chain it was verified along, ends (ISO 8601): the connection is closed
   * then (certificate-ends.ts). Null without a verified certificate.
   */
  readonly certificateValidTo: string | null;
  readonly openedAt: string;
  readonly ageSeconds: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly closing: boolean;
}

export interface ConnectionPage {
  /** Connections that match the filter. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly connections: readonly ConnectionRow[];
}

/** `AB:cd:…` and `abcd…` name the same certificate. */
export function normaliseFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toUpperCase();
}

/** A filter from a query string; a parameter given empty is no filter. */
export function filterFrom(query: URLSearchParams): ConnectionFilter {
  const value = (name: string): string | undefined => {
    const v = query.get(name);
    return v === null || v === '' ? undefined : v;
  };
  return { service: value('service'), subject: value('subject'), fingerprint: value('fingerprint'), text: value('q') };
}

export function isEmptyFilter(filter: ConnectionFilter): boolean {
  return filter.service === undefined && filter.subject === undefined && filter.fingerprint === undefined && filter.text === undefined;
}

function matcher(filter: ConnectionFilter): (s: Session) => boolean {
  const fingerprint = filter.fingerprint === undefined ? undefined : normaliseFingerprint(filter.fingerprint);
  const text = filter.text?.toLowerCase();
  return (s) => {
    if (filter.service !== undefined && s.serviceName !== filter.service) return false;
    const id = s.identity?.presented ? s.identity : undefined;
    if (filter.subject !== undefined && id?.subject !== filter.subject) return false;
    if (fingerprint !== undefined && (id?.fingerprint256 === undefined || normaliseFingerprint(id.fingerprint256) !== fingerprint)) return false;
    if (text !== undefined) {
      const haystack = `${s.id} ${s.downstreamAddress}:${s.downstreamPort} ${s.serviceName} ${id?.subject ?? ''} ${s.principal ?? ''}`.toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  };
}

export function row(s: Session, now: number): ConnectionRow {
  const id = s.identity?.presented ? s.identity : undefined;
  return {
    id: s.id,
    service: s.serviceName,
    accept: s.accept,
    path: s.path ?? null,
    address: s.downstreamAddress,
    port: s.downstreamPort,
    subject: id?.subject ?? null,
    fingerprint: id?.fingerprint256 ?? null,
    verified: id ? id.verified : null,
    principal: s.principal ?? null,
    ticket: id?.ticket ?? null,
    certificateValidTo: certificateEnd(s),
    openedAt: new Date(s.openedAt).toISOString(),
    ageSeconds: Math.max(0, Math.floor((now - s.openedAt) / 1000)),
    bytesIn: s.traffic.bytesIn,
    bytesOut: s.traffic.bytesOut,
    closing: s.closing !== undefined,
  };
}

function certificateEnd(s: Session): string | null {
  const end = chainEnd(s.identity);
  return end === undefined ? null : new Date(end).toISOString();
}

/** The page of matching connections, oldest first, and how many match in all. */
export function page(sessions: SessionRegistry, filter: ConnectionFilter, offset: number, limit: number, now = Date.now()): ConnectionPage {
  const matches = matcher(filter);
  const connections: ConnectionRow[] = [];
  let total = 0;
  for (const s of sessions) {
    if (!matches(s)) continue;
    if (total >= offset && connections.length < limit) connections.push(row(s, now));
    total++;
  }
  return { total, offset, limit, connections };
}

/** Closes every connection the filter matches (never all of them for an empty filter); returns their ids. */
export function closeMatching(sessions: SessionRegistry, filter: ConnectionFilter): string[] {
  if (isEmptyFilter(filter)) return [];
  const matches = matcher(filter);
  const closed: string[] = [];
  for (const s of [...sessions]) {
    if (!matches(s) || s.closing !== undefined) continue;
    s.close(OPERATOR_CLOSE_CODE, OPERATOR_CLOSE_REASON);
    closed.push(s.id);
  }
  return closed;
}

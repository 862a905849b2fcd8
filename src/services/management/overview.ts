/**
 * The gateway at a glance, as `/api/status`, the status page and `bin/gateway status` show it: readiness, services
 * with their accepts and state, listeners, how many clients each service holds, certificates by days left, and the
 * last refusals.
 */
import type { ManagementSource, ReloadOverview } from './types.js';

const DAY_MS = 24 * 3600 * 1000;
/** Refusals shown; the ring keeps more, the page has room for these. */
export const REFUSALS_SHOWN = 25;

export interface CertificateRow {
  /** `server` (a keystore entry), `client-ca` (the trusted CA that expires first), `crl` (the first nextUpdate). */
  readonly kind: 'server' | 'client-ca' | 'crl';
  readonly name: string;
  /** When it expires (for a CRL: its nextUpdate), ISO 8601. */
  readonly until: string;
  /** Whole days left, negative once past. */
  readonly daysLeft: number;
}

export interface Overview {
  readonly ready: boolean;
  readonly reasons: readonly string[];
  readonly pid: number;
  readonly connections: number;
  readonly services: readonly { readonly name: string; readonly type: string; readonly accepts: readonly string[]; readonly available: boolean; readonly connections: number }[];
  readonly listeners: readonly { readonly address: string; readonly listening: boolean }[];
  readonly certificates: readonly CertificateRow[];
  readonly refusals: readonly {
    readonly at: string;
    readonly reason: string;
    readonly listener: string;
    readonly service: string | null;
    readonly downstream: string;
    readonly subject: string | null;
    readonly message: string;
  }[];
  /**
   * The last reload (`at` ISO 8601, `error` the first problem of a failed one); null before the first. A failed one
   * means the configuration file on disk is not what runs: fix it, or put it back.
   */
  readonly lastReload: { readonly at: string; readonly result: 'success' | 'failure'; readonly error: string | null } | null;
  /** With `start --workers`: each worker's pid, readiness and connections (cluster.ts); absent otherwise. */
  readonly workers?: readonly { readonly worker: number; readonly pid: number; readonly ready: boolean; readonly connections: number }[];
  /** With `start --workers N`: N. Fewer `workers` than this are running: a replacement has not started (yet). */
  readonly workersExpected?: number;
}

function daysLeft(until: Date, now: number): number {
  return Math.floor((until.getTime() - now) / DAY_MS);
}

function reloadRow(last: ReloadOverview | undefined): Overview['lastReload'] {
  return last === undefined ? null : { at: new Date(last.at).toISOString(), result: last.result, error: last.error ?? null };
}

export function overview(source: ManagementSource, now = Date.now()): Overview {
  const perService = new Map<string, number>();
  for (const s of source.sessions) perService.set(s.serviceName, (perService.get(s.serviceName) ?? 0) + 1);
  const reasons = source.readiness();
  const report = source.certificates();
  const certificates: CertificateRow[] = [
    ...report.server.map((c) => ({ kind: 'server' as const, name: `${c.alias}: ${c.subject} (serial ${c.serial})${c.serves.length > 0 ? `, serves ${c.serves.join(', ')}` : ''}`, until: c.validTo.toISOString(), daysLeft: daysLeft(c.validTo, now) })),
    ...(report.soonestClientCa
      ? [{ kind: 'client-ca' as const, name: report.soonestClientCa.subject, until: report.soonestClientCa.validTo.toISOString(), daysLeft: daysLeft(report.soonestClientCa.validTo, now) }]
      : []),
    ...(report.soonestCrl
      ? [{ kind: 'crl' as const, name: report.soonestCrl.issuer, until: report.soonestCrl.nextUpdate.toISOString(), daysLeft: daysLeft(report.soonestCrl.nextUpdate, now) }]
      : []),
  ].sort((a, b) => a.daysLeft - b.daysLeft);
  return {
    ready: reasons.length === 0,
    reasons,
    pid: process.pid,
    connections: source.sessions.size,
    services: source.services().map((s) => ({ ...s, connections: perService.get(s.name) ?? 0 })),
    listeners: source.listeners(),
    certificates,
    lastReload: reloadRow(source.lastReload()),
    refusals: source
      .refusals()
      .slice(0, REFUSALS_SHOWN)
      .map((r) => ({
        at: new Date(r.at).toISOString(),
        reason: r.reason,
        listener: r.listener,
        service: r.service ?? null,
        downstream: r.downstream,
        subject: r.subject ?? null,
        message: r.message,
      })),
  };
}

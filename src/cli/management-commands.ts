/**
 * `bin/gateway status` and `bin/gateway sessions list|close`: the management API (docs/management.md) for a
 * terminal. Text by default, the API's JSON with --json. Exit codes: 0 done (status: ready), 1 not ready or nothing
 * matched, or a store or file given cannot be used, 2 a wrong command line, 3 the API could not be reached or
 * answered with an error.
 */
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../errors.js';
import { MAXIMUM_PAGE, type ConnectionPage, type ConnectionRow } from '../services/management/connections.js';
import type { Overview } from '../services/management/overview.js';
import { EXIT } from './exit-codes.js';
import { managementClient, type ManagementOptions } from './management-client.js';

export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface SessionFilterOptions {
  readonly service?: string | undefined;
  readonly subject?: string | undefined;
  readonly fingerprint?: string | undefined;
}

/**
 * A store, password file or certificate that cannot be used is what `connect` and `start` exit 1 for, so these do
 * too; 3 is kept for the API itself (not reached, or answering with an error).
 */
function exitFor(code: GatewayErrorCode): number {
  if (code === 'GW_ERR_USAGE') return EXIT.USAGE;
  if (code === 'GW_ERR_FILE_READ' || code.startsWith('GW_ERR_STORE_') || code.startsWith('GW_ERR_TLS_')) return EXIT.INVALID;
  return EXIT.RUNTIME;
}

function failed(e: unknown, io: Output): number {
  if (!isGatewayError(e)) throw e;
  io.err(e.format());
  return exitFor(e.code);
}

/** `--limit`/`--offset` checked here, so that a typo is a usage error (exit 2) and no request is sent. */
function wholeFlag(flag: string, text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > max) {
    throw new GatewayError('GW_ERR_USAGE', `${flag} expects a whole number from 0 to ${max}, got "${text}"`);
  }
  return text;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86400)}d${String(Math.floor((seconds % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export async function status(opts: ManagementOptions & { readonly json?: boolean | undefined }, io: Output): Promise<number> {
  try {
    const o = (await managementClient(opts).call('GET', '/api/status')) as Overview;
    if (opts.json) io.out(JSON.stringify(o, null, 2));
    else {
      io.out(o.ready ? 'ready' : `not ready: ${o.reasons.join('; ')}`);
      const running = o.workers?.length ?? 0;
      const count =
        o.workersExpected !== undefined && running < o.workersExpected
          ? `${running} of ${o.workersExpected} workers (a replacement has not started: see the log)`
          : `${running} worker${running === 1 ? '' : 's'}`;
      const processes = o.workers ? `${count}, pid${running === 1 ? '' : 's'} ${o.workers.map((w) => w.pid).join(', ')}` : `pid ${o.pid}`;
      io.out(`${o.connections} connection${o.connections === 1 ? '' : 's'} (${processes})`);
      const reload = o.lastReload;
      if (reload) {
        io.out(reload.result === 'success'
          ? `last reload ${reload.at}: in force`
          : `last reload ${reload.at} FAILED, the configuration before it runs: ${reload.error ?? 'see the log'}`);
      }
      io.out('');
      for (const l of table(
        ['SERVICE', 'TYPE', 'STATE', 'CONNECTIONS', 'ACCEPTS'],
        o.services.map((s) => [s.name, s.type, s.available ? 'available' : 'unavailable', String(s.connections), s.accepts.join(' ')]),
      )) {
        io.out(l);
      }
      io.out('');
      for (const l of table(['LISTENER', 'STATE'], o.listeners.map((l) => [l.address, l.listening ? 'listening' : 'not listening']))) io.out(l);
      if (o.certificates.length > 0) {
        io.out('');
        for (const l of table(['DAYS LEFT', 'KIND', 'UNTIL', 'NAME'], o.certificates.map((c) => [String(c.daysLeft), c.kind, c.until.slice(0, 10), c.name]))) io.out(l);
      }
      if (o.refusals.length > 0) {
        io.out('');
        io.out('recent refusals:');
        for (const l of table(['TIME', 'REASON', 'CLIENT', 'SERVICE', 'DETAIL'], o.refusals.slice(0, 10).map((r) => [r.at.slice(11, 19), r.reason, r.downstream, r.service ?? '', r.message]))) {
          io.out(l);
        }
      }
    }
    return o.ready ? EXIT.OK : EXIT.INVALID;
  } catch (e) {
    return failed(e, io);
  }
}

function rowCells(c: ConnectionRow): string[] {
  const client = c.subject ?? c.principal ?? (c.fingerprint ? c.fingerprint : '-');
  // A client a certificate ticket admitted presented no certificate here: said beside the one the ticket stands for.
  return [c.id, c.service, `${c.address}:${c.port}`, age(c.ageSeconds), bytes(c.bytesIn), bytes(c.bytesOut), c.ticket ? `${client} (ticket of realm ${c.ticket})` : client];
}

export async function sessionsList(
  opts: ManagementOptions & SessionFilterOptions & { readonly limit?: string | undefined; readonly offset?: string | undefined; readonly json?: boolean | undefined },
  io: Output,
): Promise<number> {
  try {
    const limit = wholeFlag('--limit', opts.limit, MAXIMUM_PAGE);
    const offset = wholeFlag('--offset', opts.offset, Number.MAX_SAFE_INTEGER);
    const p = (await managementClient(opts).call('GET', '/api/connections', {
      service: opts.service,
      subject: opts.subject,
      fingerprint: opts.fingerprint,
      limit,
      offset,
    })) as ConnectionPage;
    if (opts.json) io.out(JSON.stringify(p, null, 2));
    else {
      for (const l of table(['ID', 'SERVICE', 'CLIENT', 'AGE', 'IN', 'OUT', 'SUBJECT'], p.connections.map(rowCells))) io.out(l);
      const shown = p.connections.length;
      if (shown < p.total) io.out(`(${shown} of ${p.total} shown from ${p.offset}; see --offset and --limit)`);
      else io.out(`(${p.total} connection${p.total === 1 ? '' : 's'})`);
    }
    return EXIT.OK;
  } catch (e) {
    return failed(e, io);
  }
}

export async function sessionsClose(id: string | undefined, opts: ManagementOptions & SessionFilterOptions & { readonly json?: boolean | undefined }, io: Output): Promise<number> {
  try {
    const byFilter = opts.service !== undefined || opts.subject !== undefined || opts.fingerprint !== undefined;
    if (id === undefined && !byFilter) throw new GatewayError('GW_ERR_USAGE', 'sessions close needs a connection id, or --service, --subject or --fingerprint');
    if (id !== undefined && byFilter) throw new GatewayError('GW_ERR_USAGE', 'sessions close takes a connection id or a filter, not both');
    const client = managementClient(opts);
    const answer = (
      id !== undefined
        ? await client.call('DELETE', `/api/connections/${encodeURIComponent(id)}`).catch((e: unknown) => {
            // An id that is gone matched nothing, as a filter that matches nothing does: exit 1, not an API error.
            if (isGatewayError(e) && e.code === 'GW_ERR_SESSION_NOT_FOUND') return { closed: [] };
            throw e;
          })
        : await client.call('DELETE', '/api/connections', { service: opts.service, subject: opts.subject, fingerprint: opts.fingerprint })
    ) as { closed: string[]; code?: number; reason?: string };
    if (opts.json) io.out(JSON.stringify(answer, null, 2));
    else if (answer.closed.length === 0) io.out(id !== undefined ? `no live connection has the id "${id}"` : 'no live connection matched');
    else io.out(`closed ${answer.closed.length} connection${answer.closed.length === 1 ? '' : 's'} (${answer.code}, "${answer.reason}"): ${answer.closed.join(' ')}`);
    return answer.closed.length > 0 ? EXIT.OK : EXIT.INVALID;
  } catch (e) {
    return failed(e, io);
  }
}

/**
 * The status page's live feed: server-sent events. Each viewer asks for one page of connections (its filter, offset
 * and size); once a second its snapshot (the overview and that page) is rebuilt and sent only if it changed, so a
 * gateway with 10,000 clients sends each viewer a page, never the whole list, and an idle gateway sends nothing but
 * a comment every 15 s that keeps proxies from closing the stream. One timer serves every viewer, and viewers of the
 * same page share its snapshot, built once a tick. A snapshot of a large page costs milliseconds of the event loop
 * every connection shares, so one feed serves at most MAXIMUM_VIEWERS. With `--workers` a snapshot is gathered from
 * every worker (cluster.ts); a viewer whose last one is still being gathered is skipped, and one that could not be
 * gathered is sent as an `unavailable` event with the reason.
 */
import type { ServerResponse } from 'node:http';
import type { ConnectionFilter } from './connections.js';
import type { Overview } from './overview.js';
import type { ManagementView } from './view.js';

export const SNAPSHOT_INTERVAL_MS = 1000;
const KEEPALIVE_EVERY = 15;
/** The most viewers one feed serves at once; more are refused (503) until one leaves. */
export const MAXIMUM_VIEWERS = 64;

interface Viewer {
  readonly res: ServerResponse;
  readonly filter: ConnectionFilter;
  readonly offset: number;
  readonly limit: number;
  last: string;
  quiet: number;
  gathering: boolean;
}

export class StatusFeed {
  readonly #view: ManagementView;
  readonly #viewers = new Set<Viewer>();
  readonly #intervalMs: number;
  /** The service is read-only (`<read-only>`): the page offers no close buttons. */
  readonly #readOnly: boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(view: ManagementView, intervalMs = SNAPSHOT_INTERVAL_MS, readOnly = false) {
    this.#view = view;
    this.#intervalMs = intervalMs;
    this.#readOnly = readOnly;
  }

  get viewers(): number {
    return this.#viewers.size;
  }

  /** Whether another viewer would be one too many (MAXIMUM_VIEWERS). */
  get full(): boolean {
    return this.#viewers.size >= MAXIMUM_VIEWERS;
  }

  /** Starts the feed on `res`: headers, the first snapshot at once, then changes until the client leaves. */
  open(res: ServerResponse, filter: ConnectionFilter, offset: number, limit: number): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Proxies such as nginx would otherwise hold the events back in their buffers.
      'X-Accel-Buffering': 'no',
    });
    const viewer: Viewer = { res, filter, offset, limit, last: '', quiet: 0, gathering: false };
    this.#viewers.add(viewer);
    res.once('close', () => {
      this.#viewers.delete(viewer);
      if (this.#viewers.size === 0) this.#stopTimer();
    });
    this.#send(viewer);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
  }

  /** Ends every stream (the gateway is stopping). */
  close(): void {
    this.#stopTimer();
    for (const v of this.#viewers) v.res.end();
    this.#viewers.clear();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    // One overview for every viewer of this tick (with --workers, one question to the workers rather than one each),
    // and one snapshot for every viewer of the same page.
    let overview: Promise<Overview> | undefined;
    const snapshots = new Map<string, Promise<string>>();
    for (const v of this.#viewers) {
      this.#send(v, () => {
        const key = JSON.stringify([v.filter, v.offset, v.limit]);
        let snapshot = snapshots.get(key);
        if (snapshot === undefined) {
          snapshot = this.#snapshot(v, (overview ??= this.#view.overview()));
          snapshots.set(key, snapshot);
        }
        return snapshot;
      });
    }
  }

  #snapshot(viewer: Viewer, overview: Promise<Overview>): Promise<string> {
    return Promise.all([overview, this.#view.page(viewer.filter, viewer.offset, viewer.limit)]).then(([o, page]) => JSON.stringify({ overview: o, page, readOnly: this.#readOnly }));
  }

  #send(viewer: Viewer, snapshotOf: () => Promise<string> = () => this.#snapshot(viewer, this.#view.overview())): void {
    // A viewer that does not read (a sleeping phone) is not sent more: its snapshot is rebuilt when it drains.
    if (viewer.res.writableNeedDrain || viewer.gathering) return;
    viewer.gathering = true;
    snapshotOf().then(
      (snapshot) => {
        viewer.gathering = false;
        if (this.#viewers.has(viewer)) this.#write(viewer, snapshot);
      },
      (err: unknown) => {
        viewer.gathering = false;
        if (this.#viewers.has(viewer)) this.#write(viewer, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), 'unavailable');
      },
    );
  }

  #write(viewer: Viewer, snapshot: string, event = 'snapshot'): void {
    // Ages change every second; compare without them so that an idle gateway is quiet.
    const key = snapshot.replace(/"ageSeconds":\d+/g, '');
    if (key === viewer.last) {
      if (++viewer.quiet >= KEEPALIVE_EVERY) {
        viewer.quiet = 0;
        viewer.res.write(': keep-alive\n\n');
      }
      return;
    }
    viewer.last = key;
    viewer.quiet = 0;
    viewer.res.write(`event: ${event}\ndata: ${snapshot}\n\n`);
  }
}

/**
 * Kaazing's `directory` service: files under a directory, on http:// and https:// accepts. `send` serves each file
 * (ETag, Last-Modified, conditional GET, Range, HEAD, MIME types); this file decides which file a request names,
 * and adds what Kaazing adds: `welcome-file` for a directory, a listing with `options indexes`, `<location>`
 * cache-control, `<mime-mapping>` content types, and error pages from `error-pages-directory`.
 *
 * A file is served only when its real path (symbolic links followed) is inside the directory's real path; a link
 * that leads out is answered as missing, as Kaazing's default (`restricted`) answered it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import type { Stats } from 'node:fs';
import picomatch from 'picomatch';
import send from 'send';
import type { CacheControl, DirectoryProperties, ServiceConfig } from '../config/types.js';
import type { End } from '../pipe/ends.js';
import { cacheControlHeader } from './cache-control.js';
import { directoryListing } from './directory-listing.js';
import { isInside, requestTarget } from './directory-path.js';
import { requestPath } from './request-path.js';
import type { ConnectionContext, Service } from './types.js';

const MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request: the path is not allowed.',
  403: 'Forbidden.',
  404: 'Not found.',
  405: 'Method not allowed: this service answers GET and HEAD.',
  412: 'Precondition failed.',
  416: 'Range not satisfiable.',
  500: 'Internal server error.',
};

interface Location {
  readonly matches: (path: string) => boolean;
  readonly cacheControl: CacheControl;
}

const KEPT_ON_ERROR = new Set(['allow', 'content-range', 'x-content-type-options']);

export class DirectoryService implements Service {
  readonly available = true;
  readonly #properties: DirectoryProperties;
  readonly #mimeTypes: ReadonlyMap<string, string>;
  readonly #locations: readonly Location[];
  constructor(readonly config: ServiceConfig) {
    if (config.directory === undefined) throw new TypeError('a directory service needs its directory properties');
    this.#properties = config.directory;
    this.#mimeTypes = new Map(config.mimeMappings.map((m) => [m.extension, m.mimeType]));
    this.#locations = config.directory.locations.map((l) => ({
      matches: picomatch(l.patterns.map((p) => p.replace(/^\/+/, '')), { nocase: true, dot: true }),
      cacheControl: l.cacheControl,
    }));
  }

  /** Never routed here: the listener sends a service on http:// and https:// accepts plain requests only. */
  handle(downstream: End): void {
    downstream.destroy();
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    this.#answer(req, res, ctx).catch((err: unknown) => {
      ctx.log.error({ err }, 'directory service failed on a request');
      if (!res.headersSent) void this.#error(req, res, 500);
      else res.destroy();
    });
  }

  stop(): Promise<void> {
    // Requests in flight belong to connections the listener closes.
    return Promise.resolve();
  }

  async #answer(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.#error(req, res, 405);
    }
    const { path: rawPath, query, below } = requestPath(req.url, this.config, ctx);
    const target = requestTarget(below);
    if (!target.ok) {
      ctx.log.debug({ path: rawPath, reason: target.reason }, 'request path refused');
      return this.#error(req, res, target.status);
    }
    const root = await this.#realRoot();
    const found = await this.#inside(root, join(root, ...target.names));
    if (found === undefined) return this.#error(req, res, 404);
    let { file, stats } = found;
    let names = target.names;
    if (stats.isDirectory()) {
      // Relative links in the page resolve against the directory only when its URL ends in a slash.
      if (!target.trailingSlash) {
        // One leading slash only: `//name/` would send the browser to the host `name`.
        res.writeHead(302, { Location: `${rawPath.replace(/^\/+/, '/')}/${query}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      const welcome = this.#properties.welcomeFile;
      const welcomed = welcome === undefined ? undefined : await this.#inside(root, join(file, welcome));
      if (welcomed !== undefined && welcomed.stats.isFile()) {
        ({ file, stats } = welcomed);
        names = [...names, welcome as string];
      } else if (this.#properties.indexes) {
        return this.#listing(req, res, root, file, rawPath);
      } else {
        return this.#error(req, res, 404);
      }
    }
    if (!stats.isFile()) return this.#error(req, res, 404);
    this.#send(req, res, root, file, names.join('/'));
  }

  #send(req: IncomingMessage, res: ServerResponse, root: string, file: string, relativePath: string): void {
    const sendPath = '/' + relative(root, file).split(sep).map(encodeURIComponent).join('/');
    const stream = send(req, sendPath, { root, index: false, dotfiles: 'allow', cacheControl: false, etag: true, lastModified: true, acceptRanges: true });
    stream.on('headers', (response: ServerResponse, _path: string, stats: Stats) => {
      const mapped = this.#mimeTypes.get(extname(file).slice(1).toLowerCase());
      if (mapped !== undefined) response.setHeader('Content-Type', mapped);
      const cacheControl = this.#cacheControlFor(relativePath);
      if (cacheControl !== undefined) {
        const header = cacheControlHeader(cacheControl, stats.mtimeMs, Date.now());
        response.setHeader('Cache-Control', header.value);
        response.setHeader('Expires', new Date(header.expiresAt).toUTCString());
      }
    });
    stream.on('error', (err: { status?: number }) => void this.#error(req, res, err.status ?? 500));
    stream.pipe(res);
  }

  /**
   * The directives of every `<location>` whose patterns match the file: combined, and of a valued directive the
   * smallest value, which is what Kaazing gives a pattern inside a more general one.
   */
  #cacheControlFor(path: string): CacheControl | undefined {
    const matching = this.#locations.filter((l) => l.matches(path)).map((l) => l.cacheControl);
    if (matching.length === 0) return undefined;
    const min = (values: (number | undefined)[]): number | undefined => {
      const given = values.filter((v): v is number => v !== undefined);
      return given.length === 0 ? undefined : Math.min(...given);
    };
    const valueNames = [...new Set(matching.flatMap((c) => c.values.map((v) => v.name)))];
    return {
      flags: [...new Set(matching.flatMap((c) => c.flags))],
      values: valueNames.map((name) => ({ name, seconds: min(matching.map((c) => c.values.find((v) => v.name === name)?.seconds)) as number })),
      maxAgeS: min(matching.map((c) => c.maxAgeS)),
      maxAgeAfterModifiedS: min(matching.map((c) => c.maxAgeAfterModifiedS)),
    };
  }

  async #listing(req: IncomingMessage, res: ServerResponse, root: string, directory: string, requestPath: string): Promise<void> {
    const page = await directoryListing(root, directory, requestPath);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page), 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : page);
  }

  /**
   * The directory's real path, found again for every request: a deploy that repoints a link (`current ->
   * releases/v2`) is served at once, as by nginx or Apache, and a release deleted after the switch is never looked
   * for; files are contained in the directory the link names now.
   */
  #realRoot(): Promise<string> {
    return realpath(this.#properties.directory);
  }

  /** The file's real path and stats when it exists inside the directory (links followed); else undefined. */
  async #inside(root: string, path: string): Promise<{ file: string; stats: Stats } | undefined> {
    let file: string;
    try {
      file = await realpath(path);
    } catch {
      return undefined;
    }
    if (!isInside(root, file)) return undefined;
    try {
      return { file, stats: await stat(file) };
    } catch {
      return undefined;
    }
  }

  /** An error status, with `<status>.html` from `error-pages-directory` as its body when that file exists. */
  async #error(req: IncomingMessage, res: ServerResponse, status: number): Promise<void> {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let body: Buffer | undefined;
    const pages = this.#properties.errorPagesDirectory;
    if (pages !== undefined) body = await readFile(join(pages, `${status}.html`)).catch(() => undefined);
    const type = body === undefined ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8';
    body ??= Buffer.from(`${MESSAGES[status] ?? 'Error.'}\n`);
    if (res.headersSent || res.destroyed) return;
    // What a file's answer would have said goes; what every answer says (nosniff, from the listener) stays.
    for (const name of res.getHeaderNames()) if (!KEPT_ON_ERROR.has(name)) res.removeHeader(name);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

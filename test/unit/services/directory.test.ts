import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfig } from '../../../src/config/index.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { DirectoryService } from '../../../src/services/directory.js';
import { requestTarget } from '../../../src/services/directory-path.js';
import type { ConnectionContext } from '../../../src/services/types.js';
import { config, doc } from '../../helpers/config.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { memoryLog } from '../../helpers/memory-log.js';

const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);
const SECRET = 'outside-the-web-root';

interface Served {
  readonly port: number;
  readonly dir: string;
}

/**
 * A GATEWAY_HOME with web/ pages, error pages, a secret next to web/ and links in and out of it; a directory service
 * built from `properties` answers an HTTP server's requests on `acceptPath`.
 */
async function serve(t: { after(fn: () => unknown): void }, properties: string[], extra: string[] = [], acceptPath = '/', prepare?: (dir: string) => void): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-dirsvc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['conf', 'web/sub', 'web/empty', 'web/<b>', 'errors']) mkdirSync(join(dir, d), { recursive: true });
  const files: Record<string, string> = {
    'conf/secret.txt': SECRET,
    'web/index.html': '<h1>welcome</h1>',
    'web/app.js': 'console.log(1);',
    'web/digits.dat': '0123456789',
    'web/sub/page.html': '<p>sub</p>',
    'web/.env': SECRET,
    'web/%2e%2e': 'a file with a percent in its name',
    'errors/404.html': '<h1>custom not found</h1>',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  symlinkSync(join(dir, 'conf', 'secret.txt'), join(dir, 'web', 'leak.txt'));
  symlinkSync(join(dir, 'web', 'app.js'), join(dir, 'web', 'alias.js'));
  prepare?.(dir);
  const text = doc('  <service>', '    <name>pages</name>', `    <accept>http://h:8080${acceptPath}</accept>`, '    <type>directory</type>', '    <properties>', ...properties, '    </properties>', ...extra, '  </service>');
  const sc = config(parseConfig(text, join(dir, 'conf', 'gateway-config.xml'), { hostname: 'h' })).services[0];
  if (!sc) throw new Error('no service');
  const service = new DirectoryService(sc);
  const log = memoryLog().log;
  const meter = new PrometheusMetrics({ processMetrics: false }).service('pages');
  const server = createServer((req, res) => {
    const ctx: ConnectionContext = { id: '1', downstreamAddress: '127.0.0.1', downstreamPort: 1, localAddress: '127.0.0.1', localPort: 2, tlsVersion: undefined, servername: undefined, accept: sc.accepts[0]?.uri ?? '', path: req.url ?? '/', identity: undefined, log, openedAt: Date.now(), traffic: { bytesIn: 0, bytesOut: 0 }, meter, closedByGateway: () => undefined };
    service.handleRequest(req, res, ctx);
  });
  server.listen(0, '127.0.0.1');
  await within(new Promise((r) => server.once('listening', r)), 'the test server to listen');
  t.after(() => new Promise((r) => server.close(r)));
  t.after(() => server.closeAllConnections());
  return { port: (server.address() as AddressInfo).port, dir };
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return within(
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    }),
    `${method} ${path}`,
  );
}

/** The request line exactly as written (no client normalises it), and the status and body of the answer. */
function raw(port: number, path: string): Promise<Reply> {
  return within(
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head = '', body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), headers: {}, body });
      });
    }),
    `GET ${path}`,
  );
}

const BASIC = ['      <directory>/</directory>', '      <welcome-file>index.html</welcome-file>'];

test('files come with their type, ETag and Last-Modified; HEAD, conditional GET and Range are answered', async (t) => {
  const { port } = await serve(t, BASIC);
  const page = await get(port, '/app.js');
  assert.equal(page.status, 200);
  assert.equal(page.body, 'console.log(1);');
  assert.match(String(page.headers['content-type']), /^(text|application)\/javascript/);
  assert.ok(page.headers.etag);
  assert.ok(page.headers['last-modified']);
  assert.equal(page.headers['accept-ranges'], 'bytes');
  const head = await get(port, '/app.js', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(head.headers['content-length'], String('console.log(1);'.length));
  assert.equal((await get(port, '/app.js', { 'If-None-Match': String(page.headers.etag) })).status, 304);
  assert.equal((await get(port, '/app.js', { 'If-Modified-Since': String(page.headers['last-modified']) })).status, 304);
  const range = await get(port, '/digits.dat', { Range: 'bytes=2-4' });
  assert.equal(range.status, 206);
  assert.equal(range.body, '234');
  assert.equal(range.headers['content-range'], 'bytes 2-4/10');
  const unsatisfiable = await get(port, '/digits.dat', { Range: 'bytes=50-60' });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers['content-range'], 'bytes */10');
  const post = await get(port, '/app.js', {}, 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('a directory: redirected to its slash (query kept), then its welcome file, a listing with indexes, else 404', async (t) => {
  const { port } = await serve(t, [...BASIC, '      <options>indexes</options>']);
  const redirect = await get(port, '/sub?x=1');
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.location, '/sub/?x=1');
  assert.equal((await get(port, '//sub')).headers.location, '/sub/', 'never a protocol-relative redirect to another host');
  assert.equal((await get(port, '/')).body, '<h1>welcome</h1>');
  const listing = await get(port, '/sub/');
  assert.equal(listing.status, 200);
  assert.match(listing.body, /<a href="page.html">page.html<\/a>/);
  const root = await get(port, '/empty/');
  assert.equal(root.status, 200);
  const escaped = await get(port, '/');
  assert.equal(escaped.body, '<h1>welcome</h1>');
  const top = await get(port, '/sub/../');
  assert.equal(top.status, 400);
  const plain = await serve(t, ['      <directory>/</directory>']);
  assert.equal((await get(plain.port, '/sub/')).status, 404, 'no welcome file and no indexes: nothing to show');
  const listed = await serve(t, ['      <directory>/</directory>', '      <options>indexes</options>']);
  const names = (await get(listed.port, '/')).body;
  assert.match(names, /<a href="%3Cb%3E\/">&lt;b&gt;\/<\/a>/, 'names are escaped, links encoded');
  assert.doesNotMatch(names, /\.env/, 'hidden files are not listed');
  assert.doesNotMatch(names, /leak\.txt/, 'a link out of the directory is not listed, as it is not served');
  assert.match(names, /<a href="alias.js">alias.js<\/a><\/td><td class="number">15 bytes</, 'a link inside it is, with its target\'s size');
});

test('mime-mapping sets the type; locations set Cache-Control and Expires, the smallest max-age of all that match', async (t) => {
  const { port } = await serve(
    t,
    [
      ...BASIC,
      '      <location><patterns>**/*</patterns><cache-control>max-age=1 day, public</cache-control></location>',
      '      <location><patterns>**/*.html</patterns><cache-control>no-cache, max-age=0</cache-control></location>',
    ],
    ['    <mime-mapping><extension>dat</extension><mime-type>application/x-digits</mime-type></mime-mapping>'],
  );
  const data = await get(port, '/digits.dat');
  assert.equal(data.headers['content-type'], 'application/x-digits');
  assert.equal(data.headers['cache-control'], 'public, max-age=86400');
  const expires = Date.parse(String(data.headers.expires));
  assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, `Expires a day ahead: ${data.headers.expires}`);
  assert.equal((await get(port, '/sub/page.html')).headers['cache-control'], 'public, no-cache, max-age=0');
  assert.equal((await get(port, '/')).headers['cache-control'], 'public, no-cache, max-age=0', 'the welcome file is matched by its own name');
});

test('error-pages-directory gives the error its page; without one the answer is plain text', async (t) => {
  const { port } = await serve(t, [...BASIC, '      <error-pages-directory>errors</error-pages-directory>']);
  const missing = await get(port, '/nothing.html');
  assert.equal(missing.status, 404);
  assert.equal(missing.body, '<h1>custom not found</h1>');
  assert.match(String(missing.headers['content-type']), /^text\/html/);
  const bad = await raw(port, '/%2e%2e/conf/secret.txt');
  assert.equal(bad.status, 400, 'no 400.html: plain text');
});

test('path traversal is refused in every encoding, and links out of the directory are not followed', async (t) => {
  const { port } = await serve(t, BASIC, [], '/files');
  const attempts = [
    '/files/../conf/secret.txt',
    '/files/%2e%2e/conf/secret.txt',
    '/files/%2E%2E/conf/secret.txt',
    '/files/.%2e/conf/secret.txt',
    '/files/..%2fconf%2fsecret.txt',
    '/files/..%2Fconf/secret.txt',
    '/files/..%5cconf%5csecret.txt',
    '/files/..\\conf\\secret.txt',
    '/files/%252e%252e/conf/secret.txt',
    '/files/%25252e%25252e/conf/secret.txt',
    '/files/sub/%2e%2e/%2e%2e/conf/secret.txt',
    '/files/app.js%00.html',
    '/files/%c0%ae%c0%ae/conf/secret.txt',
    '/files/%ZZ',
    '/files//../conf/secret.txt',
    '/files/leak.txt',
    '/files/.env',
    '/files/%2eenv',
  ];
  for (const path of attempts) {
    const reply = await raw(port, path);
    assert.ok(reply.status === 400 || reply.status === 404, `${path}: ${reply.status}`);
    assert.ok(!reply.body.includes(SECRET), `${path} leaked the secret`);
  }
  assert.equal((await raw(port, '/files/alias.js')).body, 'console.log(1);', 'a link inside the directory is served');
  assert.equal((await raw(port, '/files/app.js')).status, 200);
});

test('a directory that is a link is followed at each request: a deploy that repoints it is served at once', async (t) => {
  const release = (dir: string, name: string): void => {
    mkdirSync(join(dir, 'web', 'releases', name), { recursive: true });
    writeFileSync(join(dir, 'web', 'releases', name, 'index.html'), `release ${name}`);
  };
  const { port, dir } = await serve(t, ['      <directory>/current</directory>', '      <welcome-file>index.html</welcome-file>'], [], '/', (d) => {
    release(d, 'v1');
    release(d, 'v2');
    symlinkSync(join('releases', 'v1'), join(d, 'web', 'current'));
  });
  const web = join(dir, 'web');
  assert.equal((await get(port, '/index.html')).body, 'release v1');
  // A release that links back into the one before it: outside the directory the link names now.
  symlinkSync(join('..', 'v1', 'index.html'), join(web, 'releases', 'v2', 'previous.html'));
  // As Capistrano deploys: a new link beside the old one, renamed over it in one step.
  symlinkSync(join('releases', 'v2'), join(web, 'current.next'));
  renameSync(join(web, 'current.next'), join(web, 'current'));
  assert.equal((await get(port, '/index.html')).body, 'release v2');
  assert.equal((await get(port, '/')).body, 'release v2', 'the welcome file of the new release');
  assert.equal((await get(port, '/previous.html')).status, 404, 'contained in the release served now, not the one before');
  rmSync(join(web, 'releases', 'v1'), { recursive: true });
  const after = await get(port, '/index.html');
  assert.equal(after.status, 200, 'the old release deleted');
  assert.equal(after.body, 'release v2');
});

test('requestTarget never yields a name that leaves the directory, whatever the path', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '%5c', '\\', '%00', '%25', '2e', 'a', '/', '%', 'b.txt', '%c0%ae')).map((parts) => parts.join('')), (path) => {
      const target = requestTarget(path);
      if (!target.ok) return;
      for (const name of target.names) {
        assert.ok(name !== '..' && name !== '.' && !name.includes('/') && !name.includes('\\') && !name.includes('\0') && !name.startsWith('.'), `${path} → ${name}`);
      }
    }),
  );
});

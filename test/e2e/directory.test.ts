/**
 * Pages and WebSocket on one https:// and wss:// address, through the real gateway: a directory service and an echo
 * service share 127.0.0.1:port behind ssl.verify-client required, so a browser that loads the page with its
 * certificate opens its WebSocket to the same origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { ECHO, PAGES, pagesAndEchoConfig } from '../helpers/pages-gateway.js';
import { testPki, type Issued } from '../helpers/pki.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const pki = testPki();
const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function tlsOf(client: Issued | undefined): RequestOptions {
  return { ca: pki.ca.cert, servername: 'localhost', ...(client ? { cert: client.cert, key: client.key } : {}) };
}

function get(port: number, path: string, client: Issued | undefined, headers: Record<string, string> = {}): Promise<Reply> {
  return within(
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers, agent: false, ...tlsOf(client) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    }),
    `GET ${path}`,
  );
}

/** The request line exactly as written, over TLS with device-1's certificate; the status and body. */
function raw(port: number, path: string): Promise<Reply> {
  return within(
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca.cert, servername: 'localhost', cert: pki.client.cert, key: pki.client.key }, () =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
      );
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

describe('a directory service and a WebSocket service on one https:// and wss:// address', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let port: number;

  before(async () => {
    space = workspace();
    // GATEWAY_HOME is the workspace: conf/ holds the configuration, web/ the pages, errors/ the error pages.
    const file = pagesAndEchoConfig(
      space,
      `<directory>/app</directory><welcome-file>index.html</welcome-file><error-pages-directory>errors</error-pages-directory>
      <location><patterns>**/*.html</patterns><cache-control>no-cache</cache-control></location>`,
      '<mime-mapping><extension>bin</extension><mime-type>application/x-digits</mime-type></mime-mapping>',
    );
    for (const d of ['web/app', 'errors']) mkdirSync(join(space.dir, d), { recursive: true });
    space.write('web/app/index.html', '<!DOCTYPE html><h1>app</h1>');
    space.write('web/app/data.bin', '0123456789');
    space.write('errors/404.html', '<h1>no such page</h1>');
    space.write('conf/secret.pw', 'the keystore password');
    gw = await GatewayProcess.start(file);
    port = gw.port(PAGES);
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('both accepts are served on one port', () => {
    assert.equal(gw.port(ECHO), port);
  });

  test('a client with its certificate gets the welcome page, ranges, its MIME mapping and the error page', async () => {
    const page = await get(port, '/', pki.client);
    assert.equal(page.status, 200);
    assert.equal(page.body, '<!DOCTYPE html><h1>app</h1>');
    assert.equal(page.headers['cache-control'], 'no-cache, max-age=0');
    assert.ok(page.headers.etag);
    assert.equal((await get(port, '/index.html', pki.client, { 'If-None-Match': String(page.headers.etag) })).status, 304);
    const range = await get(port, '/data.bin', pki.client, { Range: 'bytes=-3' });
    assert.equal(range.status, 206);
    assert.equal(range.body, '789');
    assert.equal(range.headers['content-type'], 'application/x-digits');
    const missing = await get(port, '/nothing', pki.client);
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '<h1>no such page</h1>');
    const line = await gw.waitFor((l) => l['event'] === 'request' && l['path'] === '/nothing');
    assert.equal(line['status'], 404);
    assert.match(String(line['subject']), /CN=device-1/);
  });

  test('nothing outside the directory is served, whatever the encoding', async () => {
    for (const path of ['/../conf/secret.pw', '/%2e%2e/conf/secret.pw', '/..%2f..%2fconf%2fsecret.pw', '/%252e%252e/conf/secret.pw', '/..\\conf\\secret.pw', '/index.html%00']) {
      const reply = await raw(port, path);
      assert.ok(reply.status === 400 || reply.status === 404, `${path}: ${reply.status}`);
      assert.ok(!reply.body.includes('keystore password'), `${path} leaked`);
    }
  });

  test('a certificate from an untrusted CA is refused for pages too (403), and none at all fails the handshake', async () => {
    assert.equal((await get(port, '/', pki.untrustedClient)).status, 403);
    await assert.rejects(get(port, '/', undefined));
  });

  test('the page\'s WebSocket echoes on the same address', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/echo`, tlsOf(pki.client));
    await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 'the WebSocket to open');
    const echoed = within(new Promise<string>((resolve) => ws.once('message', (m: Buffer) => resolve(m.toString()))), 'the echo');
    ws.send('hello');
    assert.equal(await echoed, 'hello');
    ws.close();
  });
});

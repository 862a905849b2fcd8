/** http.redirect through the real gateway: plain HTTP requests answered with a Location that keeps path and query. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const TO_HTTPS = 'http://127.0.0.1:0/';
const MOVED = 'http://127.0.0.1:0/old';

function send(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    }),
    WAIT_MS,
    `${method} ${path}`,
  );
}

describe('http.redirect', () => {
  let space: Workspace;
  let gw: GatewayProcess;

  before(async () => {
    space = workspace();
    gw = await GatewayProcess.start(
      space.config(`
  <service>
    <name>to-https</name>
    <accept>${TO_HTTPS}</accept>
    <type>http.redirect</type>
    <properties><location>https://gateway.example.com:8443/</location></properties>
  </service>
  <service>
    <name>moved</name>
    <accept>${MOVED}</accept>
    <type>http.redirect</type>
    <properties>
      <location>https://new.example.com/app</location>
      <cache-control>no-cache</cache-control>
      <status-code>308</status-code>
    </properties>
  </service>`),
    );
  });

  after(async () => {
    await gw?.stop();
    space?.cleanup();
  });

  test('the request path and query follow the location; the default status is 301', async () => {
    const port = gw.port(TO_HTTPS);
    const r = await send(port, 'GET', '/devices/list.html?page=2&x=%20y');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://gateway.example.com:8443/devices/list.html?page=2&x=%20y');
    assert.equal(r.headers['cache-control'], undefined);
    assert.equal((await send(port, 'GET', '/')).headers.location, 'https://gateway.example.com:8443/');
    const post = await send(port, 'POST', '/form');
    assert.equal(post.status, 301, 'every method is redirected');
  });

  test('below an accept path, the rest of the path follows; status-code and cache-control (with Expires at the epoch) as configured', async () => {
    const port = gw.port(MOVED);
    const r = await send(port, 'HEAD', '/old/a/b?q=1');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://new.example.com/app/a/b?q=1');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers.expires, 'Thu, 01 Jan 1970 00:00:00 GMT');
    assert.equal((await send(port, 'GET', '/old')).headers.location, 'https://new.example.com/app');
    const line = await gw.waitFor((l) => l['event'] === 'request' && l['service'] === 'moved' && l['path'] === '/old');
    assert.equal(line['status'], 308);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { managementClient } from '../../../src/cli/management-client.js';
import { GatewayError } from '../../../src/errors.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

test('an https:// URL whose server accepts and never answers fails once the whole call has taken its time', async (t) => {
  const held = new Set<Socket>();
  const silent = createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of held) s.destroy();
    silent.close();
  });
  const url = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/manage`;
  const timeoutMs = 3000;
  const began = Date.now();
  const outcome = await withDeadline(
    managementClient({ url }, timeoutMs).call('GET', '/api/status').then(
      () => undefined,
      (e: unknown) => e,
    ),
    WAIT_MS,
    'the call to fail',
  );
  const elapsed = Date.now() - began;
  assert.ok(outcome instanceof GatewayError, String(outcome));
  assert.equal(outcome.code, 'GW_ERR_MANAGEMENT_CONNECT');
  assert.match(outcome.message, /no answer within 3 s/);
  // An idle timer started again by the TLS handshake would have taken twice as long.
  assert.ok(elapsed >= timeoutMs - 50 && elapsed < 2 * timeoutMs - 1000, `failed after ${elapsed} ms`);
});

test('a --url without a scheme is told so, with the URL it meant', () => {
  assert.throws(() => managementClient({ url: 'localhost:9443/manage' }), (e: GatewayError) =>
    e.code === 'GW_ERR_USAGE' && e.message === '--url "localhost:9443/manage" has no scheme: write http:// or https:// before it' && e.hint === 'for example --url https://localhost:9443/manage');
  assert.throws(() => managementClient({ url: 'ftp://localhost/manage' }), (e: GatewayError) => e.message === '--url must be http:// or https://, not ftp://');
  for (const url of ['127.0.0.1:9443/manage', '[::1]:9443/manage']) {
    assert.throws(() => managementClient({ url }), (e: GatewayError) => e.message === `--url "${url}" has no scheme: write http:// or https:// before it`);
  }
  // The URL parser's own reading of a scheme without its slashes is kept.
  assert.equal(managementClient({ url: 'http:localhost:9443/manage' }).url.href, 'http://localhost:9443/manage');
});

test("an answer that is not the management API's own (another service's 404) asks whether --url names a management.http accept", async (t) => {
  const pages = createHttpServer((_req, res) => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found.'));
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.after(() => pages.close());
  const where = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
  // Credentials in the URL are sent as Basic authorization, and never repeated in a message.
  const url = where.replace('http://', 'http://admin:s3cret@');
  const outcome = await withDeadline(managementClient({ url }).call('GET', '/api/status').then(() => undefined, (e: unknown) => e), WAIT_MS, 'the call to fail');
  assert.ok(outcome instanceof GatewayError, String(outcome));
  assert.equal(outcome.code, 'GW_ERR_MANAGEMENT_RESPONSE');
  assert.equal(outcome.message, 'GET /api/status answered 404: Not found.');
  assert.equal(outcome.hint, `is ${where} the accept of a management.http service? --url takes that accept (docs/management.md)`);
});

test("the gateway's own refusal of a management request (401, 403, 503 in plain text) is not taken for the wrong --url", async (t) => {
  const guarded = createHttpServer((_req, res) => res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden: access-constraint not satisfied.'));
  await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
  t.after(() => guarded.close());
  const url = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}/manage`;
  const outcome = await withDeadline(managementClient({ url }).call('GET', '/api/status').then(() => undefined, (e: unknown) => e), WAIT_MS, 'the call to fail');
  assert.ok(outcome instanceof GatewayError, String(outcome));
  assert.equal(outcome.message, 'GET /manage/api/status answered 403: Forbidden: access-constraint not satisfied.');
  assert.equal(outcome.hint, undefined);
});

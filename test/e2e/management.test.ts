/**
 * The management service in a real `bin/gateway`: /healthz, /readyz, /metrics counting what was done to the
 * gateway, the connections API, and `bin/gateway status` and `sessions list|close` against it, over http:// and over
 * https:// with a client certificate that the service's access-constraint admits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WebSocket } from 'ws';
import { GatewayProcess, runGateway } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { ECHO, echoAndManagementConfig } from '../helpers/management-gateway.js';
import { testPki } from '../helpers/pki.js';
import { storePath } from '../helpers/keytool.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const MANAGEMENT = 'http://127.0.0.1:0/manage';
const SECURE = 'https://localhost:0/ops';
let space: Workspace;
let gw: GatewayProcess;
let base: string;
let secure: string;

before(async () => {
  space = workspace();
  const pki = testPki();
  space.write('operator.pem', pki.client.key + pki.client.cert);
  space.write('intruder.pem', pki.client2.key + pki.client2.cert);
  gw = await GatewayProcess.start(
    echoAndManagementConfig(
      space,
      MANAGEMENT,
      `  <service>
    <name>operations</name>
    <accept>${SECURE}</accept>
    <type>management.http</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
    </accept-options>
    <access-constraint>
      <client-subject>CN=device-1</client-subject>
    </access-constraint>
  </service>
${PEM_SECURITY}`,
    ),
  );
  base = `http://127.0.0.1:${gw.port(MANAGEMENT)}/manage`;
  secure = `https://localhost:${gw.port(SECURE)}/ops`;
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await withDeadline(fetch(`${base}${path}`), WAIT_MS, `GET ${path}`);
  return { status: res.status, body: await res.text() };
}

async function client(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
  await event(ws, 'open', 'a client to open');
  return ws;
}

test('healthz and readyz answer 200 on a started gateway', async () => {
  assert.equal((await get('/healthz')).status, 200);
  const ready = await get('/readyz');
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.body), { ready: true, reasons: [] });
});

test('/metrics counts connections, bytes and refusals done to the gateway', async () => {
  const ws = await client();
  ws.send('hello');
  await event(ws, 'message', 'the echo');
  const closed = event(ws, 'close', 'the client to close');
  ws.close(1000);
  await closed;
  await gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'echo');
  const stray = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/nowhere`);
  stray.on('error', () => undefined);
  await event(stray, 'unexpected-response', 'the 404');
  stray.terminate();
  const { status, body } = await get('/metrics');
  assert.equal(status, 200);
  assert.match(body, /^gateway_connections_opened_total\{service="echo"\} [1-9]/m);
  assert.match(body, /^gateway_bytes_total\{service="echo",direction="downstream_to_upstream"\} [1-9]/m);
  // echo and management share 127.0.0.1:0, so a path neither serves belongs to no one service.
  assert.match(body, /^gateway_refusals_total\{listener="127\.0\.0\.1:0",service="",reason="not_found"\} 1$/m);
  assert.match(body, /^gateway_certificate_expiry_seconds\{alias="[^"]*",subject="[^"]*CN=localhost[^"]*"\} \d/m);
  assert.match(body, /^process_resident_memory_bytes \d/m);
});

test('bin/gateway sessions list shows a live client, and sessions close closes it with 1008', async () => {
  const ws = await client();
  const list = await runGateway(['sessions', 'list', '--url', base]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID +SERVICE +CLIENT/m);
  const line = list.stdout.split('\n').find((l) => / echo +127\.0\.0\.1:/.test(l));
  assert.ok(line, list.stdout);
  const id = line.split(/\s+/)[0] ?? '';
  const closed = event<[number, Buffer]>(ws, 'close', 'the client to be closed');
  const close = await runGateway(['sessions', 'close', id, '--url', base]);
  assert.equal(close.code, 0, close.stderr);
  assert.match(close.stdout, new RegExp(`closed 1 connection .*${id}`));
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.equal(reason.toString(), 'closed by the gateway operator');
  // Gone now: nothing matched, as with a filter that matches nothing.
  const again = await runGateway(['sessions', 'close', id, '--url', base]);
  assert.equal(again.code, 1, again.stderr);
  assert.equal(again.stdout.trim(), `no live connection has the id "${id}"`);
});

test('bin/gateway status reports readiness and services; an unreachable URL is GW_ERR_MANAGEMENT_CONNECT', async () => {
  const status = await runGateway(['status', '--url', base]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^ready$/m);
  assert.match(status.stdout, /^echo +echo +available/m);
  const json = await runGateway(['status', '--url', base, '--json']);
  assert.equal(JSON.parse(json.stdout).ready, true);
  const nowhere = await runGateway(['status', '--url', 'http://127.0.0.1:1/']);
  assert.equal(nowhere.code, 3);
  assert.match(nowhere.stderr, /error GW_ERR_MANAGEMENT_CONNECT: cannot reach the management API at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  const missing = await runGateway(['status'], { GATEWAY_MANAGEMENT_URL: '' });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /error GW_ERR_USAGE: give --url/);
});

test('over https:// the management accept admits only the certificate its access-constraint names', async () => {
  const ok = await runGateway(['sessions', 'list', '--url', secure, '--keystore', `${space.dir}/operator.pem`, '--truststore', `${space.dir}/ca.pem`]);
  assert.equal(ok.code, 0, ok.stderr);
  const refused = await runGateway(['sessions', 'list', '--url', secure, '--keystore', `${space.dir}/intruder.pem`, '--truststore', `${space.dir}/ca.pem`]);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /error GW_ERR_MANAGEMENT_RESPONSE: GET \/ops\/api\/connections answered 403/);
  // A certificate without its key (a PEM file of certificates only) is refused before anything is sent.
  space.write('operator-certificate-only.pem', testPki().client.cert);
  const certOnly = `${space.dir}/operator-certificate-only.pem`;
  const noKey = await runGateway(['status', '--url', secure, '--keystore', certOnly, '--truststore', `${space.dir}/ca.pem`]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /error GW_ERR_USAGE: --keystore .*operator-certificate-only\.pem has no client certificate to present: it holds 1 certificate and no private key/);
  // A browser-like request without a certificate never gets past the TLS handshake.
  const pki = testPki();
  const outcome = await withDeadline(
    new Promise<string>((resolve) => {
      const req = httpsRequest(`${secure}/api/connections`, { ca: pki.ca.cert }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    }),
    WAIT_MS,
    'the certificate-less request to be refused',
  );
  assert.match(outcome, /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET/);
});

test('status and sessions exit 1, as connect does, for a store they cannot use, and name the flag', async () => {
  const ca = `${space.dir}/ca.pem`;
  const missing = await runGateway(['status', '--url', secure, '--keystore', `${space.dir}/nope.p12`, '--truststore', ca]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /^error GW_ERR_FILE_READ: .*nope\.p12.*no such file/m);
  space.write('wrong.pw', 'wrong\n');
  const wrong = await runGateway(['status', '--url', secure, '--keystore', storePath('device-1.p12'), '--password-file', `${space.dir}/wrong.pw`, '--truststore', ca]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /^error GW_ERR_STORE_PASSWORD: /m);
  const alias = await runGateway(['sessions', 'list', '--url', secure, '--keystore', `${space.dir}/operator.pem`, '--alias', 'nope', '--truststore', ca]);
  assert.equal(alias.code, 1, alias.stderr);
  assert.match(alias.stderr, /^error GW_ERR_TLS_NO_CERTIFICATE: --alias "nope" .*names no key entry in the keystore/m);
  assert.doesNotMatch(alias.stderr, /ssl\.keystore\.alias/);
});

test('a wrong --limit, or a store flag without its store, is a usage error (exit 2) found before any request', async () => {
  // Nothing listens there: a request would have been GW_ERR_MANAGEMENT_CONNECT, exit 3.
  const nowhere = 'http://127.0.0.1:1/';
  for (const [args, message] of [
    [['sessions', 'list', '--limit', 'abc'], '--limit expects a whole number from 0 to 1000, got "abc"'],
    [['sessions', 'list', '--limit', '1001'], '--limit expects a whole number from 0 to 1000, got "1001"'],
    [['sessions', 'list', '--offset', '-1'], '--offset expects a whole number from 0 to 9007199254740991, got "-1"'],
    [['status', '--password-file', 'operator.pw'], '--password-file needs --keystore'],
    [['sessions', 'list', '--alias', 'operator'], '--alias needs --keystore'],
    [['status', '--truststore-password-file', 'ca.pw'], '--truststore-password-file needs --truststore'],
  ] as const) {
    const r = await runGateway([...args, '--url', nowhere]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `error GW_ERR_USAGE: ${message}`);
  }
});

test('a page whose name was rebound to the gateway gets 421 from the API; a client that is no browser is served by any name', async () => {
  const port = gw.port(MANAGEMENT);
  const ask = (path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> =>
    withDeadline(
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: `/manage${path}`, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      }),
      WAIT_MS,
      `GET ${path} as ${headers['Host'] ?? ''}`,
    );
  const host = `attacker.example:${port}`;
  const page = { Host: host, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' };
  const refused = await ask('/api/connections', page);
  assert.equal(refused.status, 421);
  assert.equal(JSON.parse(refused.body).error.code, 'GW_ERR_MANAGEMENT_HOST');
  assert.equal((await ask('/readyz', page)).status, 200, 'probes stay open');
  assert.equal((await ask('/api/connections', { ...page, Host: `localhost:${port}`, Origin: `http://localhost:${port}` })).status, 200);
  assert.equal((await ask('/metrics', { Host: 'gateway.monitoring.svc.cluster.local:9090' })).status, 200, 'Prometheus by a Service name');
});

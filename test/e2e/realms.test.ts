/**
 * Realms end to end, with real HTTP and WebSocket clients against `bin/gateway`: Basic credentials through a
 * `file` realm (upgrades and pages), a certificate ticket issued by an https:// directory service to a client with
 * a certificate and then used on a wss:// upgrade without one (tampered with, expired, from another realm), and a
 * token directory changed while the gateway runs. No password, secret, ticket or token may appear in the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { parse as parseCookies } from 'cookie';
import { issueTicket } from '../../src/auth/realm/ticket.js';
import { USERS_NAMESPACE } from '../../src/auth/realm/users-file.js';
import { chainFacts } from '../../src/tls/chain-facts.js';
import { parseProxyHeader, type ParsedProxyHeader } from '../../src/upstream/proxy-protocol.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { makeCrl } from '../helpers/crl.js';
import { testPki, type Issued } from '../helpers/pki.js';
import { freePorts, tcpServer, type Backend } from '../helpers/tcp-servers.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const pki = testPki();
const SECRET = '7c1f0e9a'.repeat(8);
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'Zq3xT9_token-0123456789';

interface Outcome {
  readonly status: number | 'open' | 'error';
  readonly headers: IncomingMessage['headers'];
  readonly echoed?: string;
}

/** Opens a WebSocket, sends "ping" and waits for the echo; or the status it was refused with. */
function attempt(url: string, options: ClientOptions = {}): Promise<Outcome> {
  const ws = new WebSocket(url, { ca: pki.ca.cert, ...options });
  const settled = new Promise<Outcome>((resolve) => {
    let headers: IncomingMessage['headers'] = {};
    ws.once('upgrade', (res) => (headers = res.headers));
    ws.once('open', () => ws.send('ping'));
    ws.once('message', (data) => {
      resolve({ status: 'open', headers, echoed: String(data) });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve({ status: 'error', headers: {} }));
  });
  return withDeadline(settled, WAIT_MS, `${url} to echo or be refused`);
}

const cert = (c: Issued): ClientOptions => ({ cert: c.cert, key: c.key });

/** An https GET: status, headers and body. */
function get(
  url: string,
  client: Issued | undefined,
  headers: Record<string, string> = {},
  agent: Agent | false = false,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; reused: boolean }> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const req = request(url, { ca: pki.ca.cert, headers, agent, ...(client ? { cert: client.cert, key: client.key } : {}) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    }),
    WAIT_MS,
    `GET ${url}`,
  );
}
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('realms: file, certificate-ticket, token-directory', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let backend: Backend;
  let pagesPort: number;
  let wsPort: number;
  const proxyHeaders: ParsedProxyHeader[] = [];
  let tokens: string;

  before(async () => {
    space = workspace();
    [pagesPort, wsPort] = (await freePorts(2)) as [number, number];
    // Echoes what follows the PROXY header, and keeps each header for the assertions.
    backend = await tcpServer((s: Socket) => {
      let pending: Buffer | undefined = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        if (pending === undefined) return void s.write(d);
        pending = Buffer.concat([pending, d]);
        const parsed = parseProxyHeader(pending, 'v2');
        if (parsed === 'incomplete') return;
        proxyHeaders.push(parsed);
        const rest = pending.subarray(parsed.length);
        pending = undefined;
        if (rest.length > 0) s.write(rest);
      });
    });
    // GATEWAY_HOME is the workspace: conf/ holds the configuration and the realm files, web/ the pages.
    for (const d of ['conf', 'web/app']) mkdirSync(join(space.dir, d), { recursive: true });
    space.write('web/app/index.html', '<!DOCTYPE html><h1>app</h1>');
    space.write(
      'conf/jaas-config.xml',
      `<jaas-config xmlns="${USERS_NAMESPACE}">
  <user><name>joe</name><password>${PASSWORD}</password><role-name>AUTHORIZED</role-name></user>
  <user><name>guest</name><password>guest-password</password></user>
</jaas-config>`,
    );
    space.write('conf/ticket.secret', `${SECRET}\n`);
    tokens = join(space.dir, 'conf', 'tokens');
    mkdirSync(tokens);
    // Where the pages ask for a certificate, its CA's CRL is read (revoking nothing yet).
    space.write('conf/crl.pem', makeCrl(pki.ca, { number: 1 }).pem);
    const optional = '<accept-options><ssl.verify-client>optional</ssl.verify-client><ssl.crl>crl.pem</ssl.crl></accept-options>';
    const config = space.config(
      `
  <service>
    <name>pages</name>
    <accept>https://localhost:${pagesPort}/</accept>
    <type>directory</type>
    <properties><directory>/app</directory></properties>
    ${optional}
    <realm-name>ios</realm-name>
  </service>
  <service>
    <name>private</name>
    <accept>https://localhost:${pagesPort}/private</accept>
    <type>directory</type>
    <properties><directory>/app</directory></properties>
    ${optional}
    <realm-name>users</realm-name>
    <authorization-constraint><require-role>AUTHORIZED</require-role></authorization-constraint>
  </service>
  <service>
    <name>devices</name>
    <accept>https://localhost:${pagesPort}/devices</accept>
    <type>directory</type>
    <properties><directory>/app</directory></properties>
    ${optional}
    <access-constraint><client-subject>OU=devices, O=Acme</client-subject></access-constraint>
  </service>
  <service>
    <name>users</name>
    <accept>wss://localhost:${pagesPort}/users</accept>
    <type>echo</type>
    ${optional}
    <realm-name>users</realm-name>
    <authorization-constraint><require-role>AUTHORIZED</require-role></authorization-constraint>
  </service>
  <service>
    <name>mint</name>
    <accept>wss://localhost:${pagesPort}/mint</accept>
    <type>echo</type>
    ${optional}
    <realm-name>ios</realm-name>
  </service>
  <service>
    <name>ios</name>
    <accept>wss://localhost:${wsPort}/ios</accept>
    <connect>tcp://127.0.0.1:${backend.port}</connect>
    <type>proxy</type>
    <connect-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></connect-options>
    <realm-name>ios</realm-name>
    <access-constraint><path-identity>CN</path-identity></access-constraint>
  </service>
  <service>
    <name>tokens</name>
    <accept>ws://127.0.0.1:0/tokens</accept>
    <type>echo</type>
    <realm-name>tokens</realm-name>
    <authorization-constraint><require-role>viewer</require-role></authorization-constraint>
  </service>
  <service>
    <name>brief</name>
    <accept>ws://127.0.0.1:0/brief</accept>
    <type>echo</type>
    <realm-name>brief</realm-name>
    <authorization-constraint><require-role>AUTHORIZED</require-role></authorization-constraint>
  </service>
  <security>
    <keystore><type>PEM</type><file>../server.pem</file></keystore>
    <truststore><type>PEM</type><file>../ca.pem</file></truststore>
    <realm>
      <name>users</name>
      <description>Users</description>
      <authentication>
        <http-challenge-scheme>Application Basic</http-challenge-scheme>
        <login-modules>
          <login-module><type>file</type><success>required</success><options><file>jaas-config.xml</file></options></login-module>
        </login-modules>
      </authentication>
    </realm>
    <realm>
      <name>ios</name>
      <authentication>
        <http-cookie>TICKET</http-cookie>
        <login-modules>
          <login-module><type>certificate-ticket</type><success>required</success><options><secret-file>ticket.secret</secret-file><max-age>1 hour</max-age></options></login-module>
        </login-modules>
      </authentication>
    </realm>
    <realm>
      <name>brief</name>
      <authentication>
        <http-challenge-scheme>Application Basic</http-challenge-scheme>
        <authorization-timeout>1 second</authorization-timeout>
        <login-modules>
          <login-module><type>file</type><success>required</success><options><file>jaas-config.xml</file></options></login-module>
        </login-modules>
      </authentication>
    </realm>
    <realm>
      <name>tokens</name>
      <authentication>
        <http-challenge-scheme>Application Token</http-challenge-scheme>
        <http-cookie>AUTH</http-cookie>
        <login-modules>
          <login-module><type>token-directory</type><success>required</success><options><directory>tokens</directory></options></login-module>
        </login-modules>
      </authentication>
    </realm>
  </security>`,
      'conf/gateway-config.xml',
    );
    gw = await GatewayProcess.start(config);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    space?.cleanup();
  });

  test('file realm: Basic credentials with the role pass; none or wrong get 401 with the challenge; no role gets 403; a certificate alone carries no role', async () => {
    const url = `wss://localhost:${pagesPort}/users`;
    const none = await attempt(url);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Application Basic realm="Users"');
    assert.equal((await attempt(url, { headers: basic('joe', 'wrong') })).status, 401);
    assert.equal((await attempt(url, { headers: basic('nobody', PASSWORD) })).status, 401);
    const guest = await attempt(url, { headers: basic('guest', 'guest-password') });
    assert.equal(guest.status, 403);
    assert.equal(guest.headers['www-authenticate'], undefined);
    const joe = await attempt(url, { headers: basic('joe', PASSWORD) });
    assert.deepEqual([joe.status, joe.echoed], ['open', 'ping']);
    assert.equal((await attempt(url, cert(pki.client))).status, 401, 'verify-client optional: a certificate does not stand for a role the service requires');
    assert.equal((await attempt(url, { ...cert(pki.client), headers: basic('joe', PASSWORD) })).status, 'open', 'with the realm passed too, it does');
    await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_FORBIDDEN' && l['principal'] === 'guest');
    const wrong = await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_UNAUTHENTICATED' && /wrong password for "joe"/.test(String(l['reason'])));
    assert.equal(wrong['level'], 40, 'wrong credentials are a warning');
    // No credentials at all is how every browser login begins: said at info, and not counted as a refusal.
    const challenge = await gw.waitFor((l) => l['msg'] === 'realm challenge: no credentials sent, asked for them' && l['service'] !== undefined);
    assert.equal(challenge['level'], 30);
  });

  test('file realm on pages: Basic credentials get the page; none get 401 with Basic (not Application Basic), as Kaazing answered HTTP', async () => {
    const url = `https://localhost:${pagesPort}/private/index.html`;
    const none = await get(url, undefined);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Users"');
    assert.equal((await get(url, undefined, basic('guest', 'guest-password'))).status, 403);
    const ok = await get(url, undefined, basic('joe', PASSWORD));
    assert.deepEqual([ok.status, ok.body], [200, '<!DOCTYPE html><h1>app</h1>']);
  });

  test('a page loaded with a certificate sets the ticket cookie; without a certificate a page needs the ticket', async () => {
    const url = `https://localhost:${pagesPort}/index.html`;
    const page = await get(url, pki.client);
    assert.equal(page.status, 200);
    const setCookie = String(page.headers['set-cookie'] ?? '');
    assert.match(setCookie, /^TICKET=v2\.[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const none = await get(url, undefined);
    assert.equal(none.status, 401);
    // A realm that no password passes asks for a token: Basic would have a browser prompt for one.
    assert.equal(none.headers['www-authenticate'], 'Application Token');
    const ticket = parseCookies(setCookie)['TICKET'] as string;
    const byTicket = await get(url, undefined, { Cookie: `TICKET=${ticket}` });
    assert.equal(byTicket.status, 200);
    assert.equal(byTicket.headers['set-cookie'], undefined, 'a ticket is not renewed by a ticket');
    const ws = await attempt(`wss://localhost:${wsPort}/ios/device-1`, { headers: { Cookie: `TICKET=${ticket}` } });
    assert.equal(ws.status, 'open', 'the ticket a page set admits the WebSocket on another port');
  });

  test('a ticket admits only the request that carries it: the next request on the kept-alive connection is judged on its own', async () => {
    const ticket = parseCookies((await get(`https://localhost:${pagesPort}/index.html`, pki.client)).headers['set-cookie']?.[0] ?? '')['TICKET'] as string;
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca.cert });
    try {
      const first = await get(`https://localhost:${pagesPort}/index.html`, undefined, { Cookie: `TICKET=${ticket}` }, agent);
      assert.equal(first.status, 200, 'the ticket admits the page of its realm');
      const next = await get(`https://localhost:${pagesPort}/devices/index.html`, undefined, {}, agent);
      assert.equal(next.reused, true, 'the second request went over the same connection');
      assert.equal(next.status, 403, "a service without the realm does not see the earlier request's ticket identity");
    } finally {
      agent.destroy();
    }
  });

  test('certificate ticket: issued to a certificate, used without one as that identity (access, logs, PROXY v2), refused when tampered with, expired or from another realm', async () => {
    // Issued on an upgrade too: a wss:// service with the realm answers a certificate's 101 with the cookie.
    const minted = await attempt(`wss://localhost:${pagesPort}/mint`, cert(pki.client));
    assert.equal(minted.status, 'open');
    const setCookie = String(minted.headers['set-cookie'] ?? '');
    assert.match(setCookie, /^TICKET=v2\.[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const ticket = parseCookies(setCookie)['TICKET'] as string;

    const ios = (path: string, cookie: string | undefined) => attempt(`wss://localhost:${wsPort}${path}`, cookie === undefined ? {} : { headers: { Cookie: `other=1; TICKET=${cookie}` } });
    const before = proxyHeaders.length;
    assert.equal((await ios('/ios/device-1', ticket)).status, 'open');
    const header = proxyHeaders[before]?.info;
    assert.ok(header !== undefined && header !== 'local');
    assert.equal(header.ssl?.cn, 'device-1', 'the backend is told the identity the ticket stands for');
    assert.equal(header.ssl?.verified, true);
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'ios' && l['ticket'] === 'ios');
    assert.match(String(opened['subject']), /CN=device-1/);
    assert.equal(opened['fingerprint'], pki.client.x509.fingerprint256);

    assert.equal((await ios('/ios/device-2', ticket)).status, 403, 'path-identity sees the ticket identity');
    assert.equal((await ios('/ios/device-1', undefined)).status, 401);
    const tampered = ticket.replace(/\.(.)/, (_m, c: string) => `.${c === 'e' ? 'f' : 'e'}`);
    assert.equal((await ios('/ios/device-1', tampered)).status, 401);
    const [v, body, mac] = ticket.split('.') as [string, string, string];
    const altered = Buffer.from(Buffer.from(body, 'base64url').toString().replace('device-1', 'device-2')).toString('base64url');
    assert.equal((await ios('/ios/device-2', `${v}.${altered}.${mac}`)).status, 401, 'an altered identity is refused');
    const identity = { presented: true, verified: true, error: undefined, subject: 'CN=device-1', subjectAttributes: { CN: ['device-1'] }, sans: [], fingerprint256: pki.client.x509.fingerprint256 };
    const chain = chainFacts(pki.client.x509.raw, [pki.ca.x509.raw]);
    const made = (realm: string, secret: string, at: number): string => {
      const issued = issueTicket(identity, chain, realm, Buffer.from(secret), at, 3600);
      assert.ok(issued.ticket !== undefined);
      return issued.ticket;
    };
    assert.equal((await ios('/ios/device-1', made('ios', SECRET, Date.now()))).status, 'open', 'made as the gateway makes them');
    const expired = made('ios', SECRET, Date.now() - 2 * 3600_000);
    assert.equal((await ios('/ios/device-1', expired)).status, 401, 'expired');
    const otherRealm = made('users', SECRET, Date.now());
    assert.equal((await ios('/ios/device-1', otherRealm)).status, 401, 'issued for another realm');
    const forged = made('ios', '0'.repeat(64), Date.now());
    assert.equal((await ios('/ios/device-1', forged)).status, 401, 'signed with another secret');
    await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_UNAUTHENTICATED' && /expired/.test(String(l['reason'])));
  });

  test("certificate ticket: once a CRL revokes its certificate, the ticket is refused on every accept and the WebSocket it admitted is closed", async () => {
    const minted = await attempt(`wss://localhost:${pagesPort}/mint`, cert(pki.client));
    const ticket = parseCookies(String(minted.headers['set-cookie'] ?? ''))['TICKET'] as string;
    // Admitted on an accept that asks for no certificate and reads no CRL: the pages' CRL decides all the same.
    const ws = new WebSocket(`wss://localhost:${wsPort}/ios/device-1`, { ca: pki.ca.cert, headers: { Cookie: `TICKET=${ticket}` } });
    const closed = withDeadline(
      new Promise<{ code: number; reason: string }>((resolve, reject) => {
        ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
        ws.on('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
        ws.on('error', reject);
      }),
      WAIT_MS,
      'the WebSocket a revoked ticket admitted to be closed',
    );
    await withDeadline(new Promise((resolve) => ws.once('open', resolve)), WAIT_MS, 'the ticket to admit the WebSocket');
    const revoked = makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }], number: 2 });
    space.write('conf/crl.next', revoked.pem);
    renameSync(join(space.dir, 'conf', 'crl.next'), join(space.dir, 'conf', 'crl.pem'));
    const { code, reason } = await closed;
    assert.equal(code, 1008);
    assert.match(reason, /revoked|CERT_REVOKED/);
    const line = await gw.waitFor((l) => l['code'] === 'GW_ERR_SESSION_CLOSED' && l['service'] === 'ios');
    assert.equal(line['rule'], 'revoked');
    assert.match(String(line['reason']), /^certificate ticket of "CN=device-1, OU=devices, O=Acme" refused: CERT_REVOKED: /);
    assert.equal((await attempt(`wss://localhost:${wsPort}/ios/device-1`, { headers: { Cookie: `TICKET=${ticket}` } })).status, 401, 'refused on the accept that reads no CRL');
    assert.equal((await get(`https://localhost:${pagesPort}/index.html`, undefined, { Cookie: `TICKET=${ticket}` })).status, 401, 'and on the one that does');
    await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_UNAUTHENTICATED' && /refused: CERT_REVOKED/.test(String(l['reason'])));

    // Unrevoked, the same ticket is honoured again: it was never changed, only judged.
    space.write('conf/crl.next', makeCrl(pki.ca, { number: 3 }).pem);
    renameSync(join(space.dir, 'conf', 'crl.next'), join(space.dir, 'conf', 'crl.pem'));
    await gw.waitFor((l) => String(l.msg).startsWith('CRL reloaded') && l['revoked'] === 0 && gw.lines.filter((m) => String(m.msg).startsWith('CRL reloaded')).length >= 2);
    assert.equal((await attempt(`wss://localhost:${wsPort}/ios/device-1`, { headers: { Cookie: `TICKET=${ticket}` } })).status, 'open');
  });

  test('token directory: a token file added while running admits on the next connection; its lines are roles; removing it refuses', async () => {
    const url = `ws://127.0.0.1:${gw.port('ws://127.0.0.1:0/tokens')}/tokens`;
    const withToken = (token: string) => attempt(url, { headers: { Cookie: `AUTH=${token}` } });
    const missing = await withToken(TOKEN);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Application Token');
    writeFileSync(join(tokens, TOKEN), 'viewer\n');
    assert.equal((await withToken(TOKEN)).status, 'open');
    writeFileSync(join(tokens, TOKEN), 'other\n');
    assert.equal((await withToken(TOKEN)).status, 403);
    unlinkSync(join(tokens, TOKEN));
    assert.equal((await withToken(TOKEN)).status, 401);
    assert.equal((await withToken('../ticket.secret')).status, 401);
  });

  test('authorization-timeout: a WebSocket the realm admitted is closed with 1008 once it has passed, not before', async () => {
    const started = performance.now();
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port('ws://127.0.0.1:0/brief')}/brief`, { headers: basic('joe', PASSWORD) });
    const closed = withDeadline(
      new Promise<{ code: number; reason: string; echoed: string[] }>((resolve, reject) => {
        const echoed: string[] = [];
        ws.on('open', () => ws.send('still authorized'));
        ws.on('message', (data) => echoed.push(String(data)));
        ws.on('close', (code, reason) => resolve({ code, reason: String(reason), echoed }));
        ws.on('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
        ws.on('error', reject);
      }),
      WAIT_MS,
      'the authorization-timeout to close the WebSocket',
    );
    const { code, reason, echoed } = await closed;
    const elapsed = performance.now() - started;
    assert.deepEqual(echoed, ['still authorized'], 'served until the timeout');
    assert.equal(code, 1008);
    assert.equal(reason, 'authorization-timeout expired');
    // The deadline starts at admission, after the client started: it cannot end sooner than 1 s from here.
    assert.ok(elapsed >= 1000, `closed after ${elapsed.toFixed(0)} ms, before the 1 s authorization-timeout`);
    // The gateway's close, as the log and the metrics count it, not the client's answer.
    await gw.waitFor((l) => l['event'] === 'close' && l['reason'] === 'closed by the gateway (1008): authorization-timeout expired');
  });

  test('no password, secret, ticket or token appears in the log', async () => {
    await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_UNAUTHENTICATED' && l['realm'] === 'tokens');
    const log = JSON.stringify(gw.lines) + gw.stderr;
    for (const secret of [PASSWORD, 'guest-password', SECRET, TOKEN, 'TICKET=v2.']) assert.ok(!log.includes(secret), `the log holds ${secret}`);
    assert.ok(!/v2\.[A-Za-z0-9_-]{20,}\./.test(log), 'the log holds a ticket');
  });

  test('wrong passwords: after 20 from one address within a minute, it gets 429 with Retry-After, even with the right password', async () => {
    const url = `ws://127.0.0.1:${gw.port('ws://127.0.0.1:0/brief')}/brief`;
    for (let i = 0; i < 20; i++) assert.equal((await attempt(url, { headers: basic('joe', `wrong-${i}`) })).status, 401);
    const held = await attempt(url, { headers: basic('joe', PASSWORD) });
    assert.equal(held.status, 429);
    const retryAfter = Number(held.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    const line = await gw.waitFor((l) => l['code'] === 'GW_ERR_REALM_THROTTLED');
    assert.equal(line['realm'], 'brief');
    assert.match(String(line['reason']), /^20 wrong passwords from 127\.0\.0\.1 within 60 s: passwords refused for \d+ s more$/);
  });
});

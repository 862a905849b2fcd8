import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCookies } from 'cookie';
import type { AuthorizationConstraintConfig, LoginModuleConfig, RealmConfig, VerifyClient } from '../../../../src/config/types.js';
import { MAXIMUM_TOKENS, readCredentials } from '../../../../src/auth/realm/credentials.js';
import { challengeFor, decide, missingRoles, prepareRealm, type RealmRequest } from '../../../../src/auth/realm/realm.js';
import { addressKey, LIMIT, LoginFailures, MAXIMUM_ADDRESSES, WINDOW_MS } from '../../../../src/auth/realm/failures.js';
import { USERS_NAMESPACE } from '../../../../src/auth/realm/users-file.js';
import { eachError, GatewayError } from '../../../../src/errors.js';
import { loadCrls } from '../../../../src/tls/crl.js';
import { chainFacts, chainFactsFailure, judgeChainFacts } from '../../../../src/tls/chain-facts.js';
import type { ClientIdentity } from '../../../../src/tls/identity.js';
import { trustState, type TrustState } from '../../../../src/tls/resumed.js';
import { identity } from '../../../helpers/access-identity.js';
import { makeCrl } from '../../../helpers/crl.js';
import { issue, testPki, type Issued } from '../../../helpers/pki.js';

const P = { file: 'gateway-config.xml', line: 1, column: 1 };
const SECRET = 'f'.repeat(64);
const TOKEN = 'tok-0123456789abcdef';

function realmConfig(loginModules: LoginModuleConfig[], overrides: Partial<RealmConfig> = {}): RealmConfig {
  return { name: 'demo', description: 'Demo "realm"', challengeScheme: 'Application Basic', httpHeaders: ['X-Token'], httpQueryParameters: ['token'], httpCookies: ['TICKET', 'AUTH'], authorizationTimeoutMs: undefined, loginModules, position: P, ...overrides };
}

function files(): { dir: string; users: string; secret: string; tokens: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-realm-'));
  const users = join(dir, 'jaas-config.xml');
  writeFileSync(users, `<jaas-config xmlns="${USERS_NAMESPACE}"><user><name>joe</name><password>welcome</password><role-name>AUTHORIZED</role-name></user></jaas-config>`);
  const secret = join(dir, 'ticket.secret');
  writeFileSync(secret, `${SECRET}\n`);
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  writeFileSync(join(tokens, TOKEN), 'viewer\n');
  return { dir, users, secret, tokens, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const pki = testPki();
/** What the gateway's listeners verify clients against: here one listener trusting the test CA, without CRLs. */
const TRUSTS: readonly TrustState[] = [trustState([pki.ca.x509], undefined)];
/** A request as the listener gives it to the realm: the chain of its certificate, and tickets judged against `trusts`. */
const request = (headers: Record<string, string> = {}, id: RealmRequest['identity'] = undefined, url = '/', secure = true, trusts: readonly TrustState[] = TRUSTS, address = '192.0.2.1'): RealmRequest => ({
  headers,
  url,
  identity: id,
  secure,
  address,
  chain: () => {
    const certified = id as Partial<ClientIdentity> | undefined;
    return certified?.certificateDer === undefined ? undefined : chainFacts(certified.certificateDer, certified.chainDer ?? []);
  },
  judgeTicket: (chain) => {
    const code = judgeChainFacts(chain, trusts);
    return code === undefined ? undefined : chainFactsFailure(code);
  },
});
/** A verified certificate's identity with the chain it was verified along, as the TLS layer gives it. */
const certified = (serialNumber: string, leaf: Issued = pki.client) => ({ ...identity(), serialNumber, certificateDer: leaf.x509.raw, chainDer: [pki.ca.x509.raw] });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const roles = (...requireRoles: string[]): AuthorizationConstraintConfig => ({ requireRoles, requireValidUser: false, position: P });

test("challenges: Kaazing's WWW-Authenticate forms", () => {
  const c = realmConfig([]);
  assert.equal(challengeFor(c, 'websocket'), 'Application Basic realm="Demo \\"realm\\""');
  assert.equal(challengeFor(c, 'http'), 'Basic realm="Demo \\"realm\\""');
  assert.equal(challengeFor({ ...c, challengeScheme: 'Basic', description: undefined }, 'websocket'), 'Basic realm="demo"');
  assert.equal(challengeFor({ ...c, challengeScheme: 'Application Token' }, 'websocket'), 'Application Token');
});

test('credentials: tokens from the named header, query parameter and cookies, then Authorization Bearer; only a verified certificate', () => {
  const c = readCredentials(realmConfig([]), request({ 'x-token': ' h ', cookie: 'AUTH=c1; OTHER=x; TICKET=c2', authorization: 'Bearer b' }, { ...identity(), verified: false }, '/p?token=q&token=q2&x=1'));
  assert.deepEqual(c.tokens, [
    { source: 'header X-Token', value: 'h' },
    { source: 'query parameter token', value: 'q' },
    { source: 'query parameter token', value: 'q2' },
    { source: 'cookie TICKET', value: 'c2' },
    { source: 'cookie AUTH', value: 'c1' },
    { source: 'Authorization', value: 'b' },
  ]);
  assert.equal(c.certificate, undefined);
  assert.ok(readCredentials(realmConfig([]), request({}, identity())).certificate);
});

test('credentials: every cookie of a name is a candidate, in the order sent; at most MAXIMUM_TOKENS from each source', () => {
  // A browser sends the cookie set for the longer path first: a stale one on /app before the valid one on /.
  const c = readCredentials(realmConfig([]), request({ cookie: 'AUTH=stale-token; OTHER=x; AUTH=valid%20token' }));
  assert.deepEqual(c.tokens, [
    { source: 'cookie AUTH', value: 'stale-token' },
    { source: 'cookie AUTH', value: 'valid token' },
  ]);
  const many = readCredentials(
    realmConfig([]),
    request({ cookie: Array.from({ length: 50 }, (_, i) => `AUTH=t${i}`).join('; '), authorization: 'Bearer b' }, undefined, `/p?${Array.from({ length: 50 }, (_, i) => `token=q${i}`).join('&')}`),
  );
  assert.deepEqual(many.tokens.filter((t) => t.source === 'query parameter token').map((t) => t.value), Array.from({ length: MAXIMUM_TOKENS }, (_, i) => `q${i}`));
  assert.equal(many.tokens.filter((t) => t.source === 'cookie AUTH').length, MAXIMUM_TOKENS);
  assert.deepEqual(many.tokens.at(-1), { source: 'Authorization', value: 'b' }, 'the bearer token is not crowded out');
});

test('missingRoles: every required role must be held', () => {
  assert.deepEqual(missingRoles(undefined, []), []);
  assert.deepEqual(missingRoles(roles('A', 'B'), ['B', 'C']), ['A']);
});

test('a file realm: Basic credentials pass with their roles; none or wrong get 401 with the challenge; a missing role gets 403', async () => {
  const f = files();
  try {
    const realm = prepareRealm(realmConfig([{ type: 'file', success: 'required', file: f.users, position: P }]));
    const go = (headers: Record<string, string>, authorization = roles('AUTHORIZED'), verifyClient: VerifyClient = 'none') => decide({ realm, authorization, verifyClient, request: request(headers), kind: 'websocket' });
    const ok = await go({ authorization: basic('joe', 'welcome') });
    assert.ok(ok.ok && ok.by === 'realm');
    assert.deepEqual(ok.ok && [ok.principal?.name, ok.roles, ok.setCookie], ['joe', ['AUTHORIZED'], undefined]);
    const none = await go({});
    // No credentials at all: a challenge, the first step of a login, not a failed one.
    assert.deepEqual(none, { ok: false, status: 401, reason: 'required login module failed: no Authorization header', challenge: 'Application Basic realm="Demo \\"realm\\""', challenged: true, principal: undefined });
    const wrong = await go({ authorization: basic('joe', 'nope') });
    assert.equal(!wrong.ok && wrong.status, 401);
    assert.equal(!wrong.ok && wrong.challenged, false);
    // Under verify-client required every request has a certificate, which a password realm does not read: a
    // browser's first request there is a challenge all the same.
    const certified = await decide({ realm, authorization: roles('AUTHORIZED'), verifyClient: 'required', request: request({}, identity()), kind: 'websocket' });
    assert.equal(!certified.ok && certified.challenged, true);
    assert.doesNotMatch(JSON.stringify(wrong), /nope/);
    const forbidden = await go({ authorization: basic('joe', 'welcome') }, roles('ADMINISTRATOR'));
    assert.equal(!forbidden.ok && forbidden.status, 403);
    assert.equal(!forbidden.ok && forbidden.reason, '"joe" holds roles AUTHORIZED; the service requires ADMINISTRATOR');
    assert.equal(!forbidden.ok && forbidden.challenge, undefined);
  } finally {
    f.done();
  }
});

test('verify-client optional: a verified certificate passes by itself where no role is required (and gets a ticket); without one the realm decides', async () => {
  const f = files();
  try {
    const realm = prepareRealm(realmConfig([
      { type: 'certificate-ticket', success: 'sufficient', secretFile: f.secret, maxAgeS: 600, position: P },
      { type: 'file', success: 'sufficient', file: f.users, position: P },
    ]));
    const withCert = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({}, certified('01')), kind: 'http' });
    assert.ok(withCert.ok && withCert.by === 'certificate');
    const setCookie = withCert.ok ? withCert.setCookie ?? '' : '';
    assert.match(setCookie, /^TICKET=v2\.[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const ticket = parseCookies(setCookie)['TICKET'] as string;
    // A certificate that ends sooner than max-age makes the cookie go with it.
    const endingSoon = certified('02', issue({ subject: { CN: 'device-soon', O: 'Acme' }, issuer: pki.ca, usage: 'client', notAfterDays: 100 / 86_400 }));
    const shortened = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({}, endingSoon), kind: 'http' });
    const maxAge = Number(/Max-Age=(\d+)/.exec(shortened.ok ? shortened.setCookie ?? '' : '')?.[1]);
    assert.ok(maxAge >= 98 && maxAge <= 100, `Max-Age ${maxAge}`);
    // A certificate whose ticket would not fit in a cookie passes all the same, without one, and the decision says why.
    const sans = Array.from({ length: 100 }, (_, i) => ({ type: 'DNS' as const, value: `device-${i}.devices.acme.example.com` }));
    const tooLong = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({}, { ...certified('03'), sans }), kind: 'http' });
    assert.ok(tooLong.ok && tooLong.by === 'certificate');
    assert.equal(tooLong.ok && tooLong.setCookie, undefined);
    assert.match(tooLong.ok ? tooLong.ticketNotIssued ?? '' : '', /more than a cookie may hold/);
    assert.equal(withCert.ok && withCert.ticketNotIssued, undefined);

    const byTicket = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({ cookie: `TICKET=${ticket}` }), kind: 'websocket' });
    assert.ok(byTicket.ok && byTicket.by === 'realm');
    // Sent in the clear (a plain accept of the service), the same ticket stands for no certificate.
    const inTheClear = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({ cookie: `TICKET=${ticket}` }, undefined, '/', false), kind: 'websocket' });
    assert.ok(!inTheClear.ok || inTheClear.ticketIdentity === undefined, 'no ticket identity over plain');
    assert.deepEqual(byTicket.ok && byTicket.ticketIdentity?.subjectAttributes, identity().subjectAttributes);
    assert.equal(byTicket.ok && byTicket.ticketIdentity?.serialNumber, '01');
    assert.equal(byTicket.ok && byTicket.setCookie, undefined, 'a ticket is not renewed by using it');

    const noRole = await decide({ realm, authorization: roles('AUTHORIZED'), verifyClient: 'optional', request: request({ cookie: `TICKET=${ticket}` }), kind: 'websocket' });
    assert.equal(!noRole.ok && noRole.status, 403, 'a ticket carries no role');

    const tampered = ticket.slice(0, -3) + (ticket.endsWith('AAA') ? 'BBB' : 'AAA');
    const refused = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({ cookie: `TICKET=${tampered}` }), kind: 'websocket' });
    assert.equal(!refused.ok && refused.status, 401);
    assert.match(!refused.ok ? refused.reason : '', /signature does not verify .*\(cookie TICKET\)/);
    assert.doesNotMatch(JSON.stringify(refused), new RegExp(tampered.slice(3, 40)));
    // A cookie that is no ticket at all: the reason says one was sent.
    const malformed = await decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({ cookie: 'TICKET=abc' }), kind: 'websocket' });
    assert.match(!malformed.ok ? malformed.reason : '', /no client certificate, and none of the 1 tokens sent is a certificate ticket/);

    // Judged as its certificate would be now, against what the gateway's listeners trust.
    const byTrusts = (trusts: readonly TrustState[]) => decide({ realm, authorization: undefined, verifyClient: 'optional', request: request({ cookie: `TICKET=${ticket}` }, undefined, '/', true, trusts), kind: 'websocket' });
    const untrusted = await byTrusts([trustState([pki.otherCa.x509], undefined)]);
    assert.equal(!untrusted.ok && untrusted.status, 401, 'its CA left the truststore');
    assert.match(!untrusted.ok ? untrusted.reason : '', /certificate ticket of "CN=device-1\nOU=devices\nO=Acme" refused: UNABLE_TO_GET_ISSUER_CERT_LOCALLY: its root CA is in the truststore of no accept that verifies clients \(cookie TICKET\)/);
    writeFileSync(join(f.dir, 'revoked.crl'), makeCrl(pki.ca, { revoked: [{ serial: pki.client.x509.serialNumber }] }).der);
    const revoked = await byTrusts([...TRUSTS, trustState([pki.ca.x509], loadCrls(join(f.dir, 'revoked.crl')).revocations)]);
    assert.equal(!revoked.ok && revoked.status, 401, 'its certificate revoked since');
    assert.match(!revoked.ok ? revoked.reason : '', /refused: CERT_REVOKED: it or a CA of its chain is listed on a CRL/);
  } finally {
    f.done();
  }
});

test('verify-client optional: where the service requires a role, a certificate alone does not pass; the realm and its roles decide', async () => {
  const f = files();
  try {
    const realm = prepareRealm(realmConfig([{ type: 'file', success: 'required', file: f.users, position: P }]));
    const device = certified('01');
    const certificateOnly = await decide({ realm, authorization: roles('AUTHORIZED'), verifyClient: 'optional', request: request({}, device), kind: 'websocket' });
    assert.equal(!certificateOnly.ok && certificateOnly.status, 401, 'a certificate carries no role');
    assert.equal(!certificateOnly.ok && certificateOnly.challenged, true);
    const withPassword = await decide({ realm, authorization: roles('AUTHORIZED'), verifyClient: 'optional', request: request({ authorization: basic('joe', 'welcome') }, device), kind: 'websocket' });
    assert.ok(withPassword.ok && withPassword.by === 'realm');
    const wrongRole = await decide({ realm, authorization: roles('ADMINISTRATOR'), verifyClient: 'optional', request: request({ authorization: basic('joe', 'welcome') }, device), kind: 'websocket' });
    assert.equal(!wrongRole.ok && wrongRole.status, 403);
    // require-valid-user (Kaazing's role *) asks for a user of the realm: a certificate is not one.
    const validUser = { requireRoles: [], requireValidUser: true, position: P };
    const certificateForUser = await decide({ realm, authorization: validUser, verifyClient: 'optional', request: request({}, device), kind: 'websocket' });
    assert.equal(!certificateForUser.ok && certificateForUser.status, 401);
  } finally {
    f.done();
  }
});

test('verify-client required: the certificate does not replace the realm; a token realm reads its directory on every request', async () => {
  const f = files();
  try {
    const realm = prepareRealm(realmConfig([{ type: 'token-directory', success: 'required', directory: f.tokens, position: P }], { challengeScheme: 'Application Token' }));
    const certOnly = await decide({ realm, authorization: undefined, verifyClient: 'required', request: request({}, identity()), kind: 'websocket' });
    assert.deepEqual(!certOnly.ok && [certOnly.status, certOnly.challenge], [401, 'Application Token']);
    const both = await decide({ realm, authorization: roles('viewer'), verifyClient: 'required', request: request({ cookie: `AUTH=${TOKEN}` }, identity()), kind: 'websocket' });
    assert.ok(both.ok && both.by === 'realm');
    assert.equal(both.ok && both.setCookie, undefined, 'no ticket module, no ticket');
  } finally {
    f.done();
  }
});

test('prepareRealm: unreadable files are GW_ERR_REALM_FILE at the login module, never with the secret', () => {
  const f = files();
  try {
    const at = { file: 'gateway-config.xml', line: 42, column: 9 };
    const cases: [LoginModuleConfig, RegExp][] = [
      [{ type: 'file', success: 'required', file: join(f.dir, 'none.xml'), position: at }, /Cannot read the users file/],
      [{ type: 'certificate-ticket', success: 'required', secretFile: join(f.dir, 'none'), maxAgeS: 1, position: at }, /Cannot read the ticket secret file/],
      [{ type: 'token-directory', success: 'required', directory: join(f.dir, 'none'), position: at }, /Cannot read the token directory/],
      [{ type: 'token-directory', success: 'required', directory: f.users, position: at }, /is not a directory/],
    ];
    for (const [m, message] of cases) {
      assert.throws(() => prepareRealm(realmConfig([m])), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_REALM_FILE' && message.test(e.message) && e.position?.line === 42);
    }
    writeFileSync(f.secret, 'short-secret\n');
    assert.throws(() => prepareRealm(realmConfig([{ type: 'certificate-ticket', success: 'required', secretFile: f.secret, maxAgeS: 1, position: at }])), (e: unknown) => e instanceof GatewayError && /line 1 .* 12 characters long/.test(e.message) && !e.message.includes('short-secret'));
    writeFileSync(f.secret, '# only a comment\n\n');
    assert.throws(() => prepareRealm(realmConfig([{ type: 'certificate-ticket', success: 'required', secretFile: f.secret, maxAgeS: 1, position: at }])), /holds no secret/);
    // Every module's problem at once, each at its own module, so that one round of `check` lists them all.
    const both = [cases[0]?.[0], { type: 'certificate-ticket', success: 'optional', secretFile: f.secret, maxAgeS: 1, position: { ...at, line: 43 } }] as LoginModuleConfig[];
    assert.throws(() => prepareRealm(realmConfig(both)), (e: unknown) => {
      const each = e instanceof GatewayError ? eachError(e) : [];
      return each.length === 2 && /Cannot read the users file/.test(each[0]?.message ?? '') && each[0]?.position?.line === 42 && /holds no secret/.test(each[1]?.message ?? '') && each[1]?.position?.line === 43;
    });
  } finally {
    f.done();
  }
});

test('wrong passwords from one address: after 20 within a minute it waits (429 with the seconds left); other addresses, tokens and certificates do not', async () => {
  const f = files();
  try {
    let now = Date.UTC(2026, 0, 1);
    const realm = prepareRealm(
      realmConfig([
        { type: 'token-directory', success: 'sufficient', directory: f.tokens, position: P },
        { type: 'file', success: 'sufficient', file: f.users, position: P },
      ]),
      () => now,
    );
    const attempt = (password: string, address = '192.0.2.7', headers: Record<string, string> = {}) =>
      decide({ realm, authorization: undefined, verifyClient: 'none', request: request({ authorization: basic('joe', password), ...headers }, undefined, '/', true, TRUSTS, address), kind: 'websocket' });
    for (let i = 0; i < LIMIT; i++) assert.equal((await attempt('wrong')).ok, false);
    now += 10_000;
    const throttled = await attempt('welcome');
    assert.ok(!throttled.ok);
    assert.deepEqual([throttled.status, throttled.retryAfterS, throttled.challenge], [429, 50, undefined], 'even the right password waits: the minute began with the first failure');
    assert.match(throttled.reason, /^20 wrong passwords from 192\.0\.2\.7 within 60 s: passwords refused for 50 s more$/);
    assert.ok((await attempt('welcome', '192.0.2.8')).ok, 'another address is not held');
    assert.ok((await attempt('welcome', '::ffff:192.0.2.8')).ok);
    // A token from the held address is not a password: it is judged as ever.
    const byToken = await decide({ realm, authorization: undefined, verifyClient: 'none', request: request({ 'x-token': TOKEN }, undefined, '/', true, TRUSTS, '192.0.2.7'), kind: 'websocket' });
    assert.ok(byToken.ok);
    // Nor do wrong tokens, or asking for credentials, count.
    for (let i = 0; i < 2 * LIMIT; i++) {
      await decide({ realm, authorization: undefined, verifyClient: 'none', request: request({ 'x-token': `no-such-token-${i}` }, undefined, '/', true, TRUSTS, '192.0.2.9'), kind: 'websocket' });
      await decide({ realm, authorization: undefined, verifyClient: 'none', request: request({}, undefined, '/', true, TRUSTS, '192.0.2.9'), kind: 'websocket' });
    }
    assert.ok((await attempt('welcome', '192.0.2.9')).ok);
    now += 50_000;
    assert.ok((await attempt('welcome')).ok, 'the minute over, it may try again');
    // A right password takes back its own try only: one between wrong ones does not reset the count.
    for (let i = 0; i < LIMIT - 1; i++) await attempt('wrong');
    assert.ok((await attempt('welcome')).ok);
    assert.equal((await attempt('wrong')).ok, false);
    assert.equal(Reflect.get(await attempt('welcome'), 'status'), 429);
    // A password tried while others are still being checked counts at once.
    now += 60_000;
    const burst = await Promise.all(Array.from({ length: 2 * LIMIT }, (_, i) => attempt(`wrong-${i}`, '192.0.2.10')));
    assert.equal(burst.filter((d) => !d.ok && d.status === 429).length, LIMIT);
    // A password sent beside a token that passes the realm first is not checked, so not counted.
    now += 60_000;
    for (let i = 0; i < 2 * LIMIT; i++) assert.ok((await attempt('wrong', '192.0.2.11', { 'x-token': TOKEN })).ok);
    assert.ok((await attempt('welcome', '192.0.2.11')).ok);
    // One host of an IPv6 /64 is the others.
    for (let i = 0; i < LIMIT; i++) await attempt('wrong', `2001:db8:1:2::${i.toString(16)}`);
    assert.equal(Reflect.get(await attempt('welcome', '2001:db8:1:2:ffff::1'), 'status'), 429);
    assert.ok((await attempt('welcome', '2001:db8:1:3::1')).ok);
  } finally {
    f.done();
  }
});

test('past MAXIMUM_ADDRESSES addresses counted at once, every further one counts with the others, until the oldest window ends', () => {
  let now = 0;
  const failures = new LoginFailures(() => now);
  const address = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  for (let i = 0; i < MAXIMUM_ADDRESSES; i++) failures.trying(address(i));
  now += 1000;
  // Two new addresses: their failures add up, as one address's would.
  for (let i = 0; i < LIMIT / 2; i++) {
    failures.trying('192.0.2.1');
    failures.trying('192.0.2.2');
  }
  // Until the oldest window ends, when a place is free for each of them again.
  assert.equal(failures.waitFor('192.0.2.1'), WINDOW_MS - 1000);
  assert.equal(failures.waitFor('192.0.2.3'), WINDOW_MS - 1000, 'a third new address waits with them');
  assert.equal(failures.waitFor(address(1)), 0, 'an address counted on its own keeps its own count');
  // Once the oldest windows have ended, a new address is counted on its own again.
  now += WINDOW_MS;
  assert.equal(failures.waitFor('192.0.2.3'), 0);
  failures.trying('192.0.2.3');
  assert.equal(failures.waitFor('192.0.2.3'), 0);
});

test('addresses whose passwords passed take no place: a fleet that logs in leaves every place to addresses that fail', () => {
  const failures = new LoginFailures(() => 0);
  const address = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  for (let i = 0; i < MAXIMUM_ADDRESSES; i++) {
    failures.trying(address(i));
    failures.passed(address(i));
  }
  for (let i = 0; i < LIMIT; i++) failures.trying(`192.0.2.${i}`);
  assert.equal(failures.waitFor('192.0.2.200'), 0, 'a new address is counted on its own');
});

test('addressKey: IPv4 as itself, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  const keys: [string, string][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    // NAT64's clients are told apart by their IPv4 address.
    ['64:ff9b::192.0.2.1', '192.0.2.1'],
  ];
  for (const [address, key] of keys) assert.equal(addressKey(address), key, address);
});

test('a realm that asks for a password and a token: a right password refused for its token stays counted, so that the count does not tell which password was right', async () => {
  const f = files();
  try {
    const realm = prepareRealm(realmConfig([
      { type: 'file', success: 'required', file: f.users, position: P },
      { type: 'token-directory', success: 'required', directory: f.tokens, position: P },
    ]));
    const attempt = (password: string, token: string) => decide({ realm, authorization: undefined, verifyClient: 'none', request: request({ authorization: basic('joe', password), 'x-token': token }, undefined, '/', true, TRUSTS, '192.0.2.20'), kind: 'websocket' });
    for (let i = 0; i < LIMIT - 1; i++) assert.equal(Reflect.get(await attempt('wrong', TOKEN), 'status'), 401);
    assert.equal(Reflect.get(await attempt('welcome', 'stale-token'), 'status'), 401);
    assert.equal(Reflect.get(await attempt('welcome', TOKEN), 'status'), 429);
  } finally {
    f.done();
  }
});

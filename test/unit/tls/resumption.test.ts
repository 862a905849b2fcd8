/**
 * TLS session resumption on the gateway's listeners, with real handshakes on port 0: clients resume, a resumed
 * client's certificate is judged again against the trust the listener has now, a ticket never crosses to a
 * listener with another client-certificate policy, and ticket keys rotate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import tls from 'node:tls';
import { acceptTls } from '../../../src/tls/accept.js';
import { identify, refusalReason, type ClientIdentity } from '../../../src/tls/identity.js';
import { trustState, type TrustState } from '../../../src/tls/resumed.js';
import { prepareServerTls, type PreparedServerTls, type ServerTlsSettings, type VerifyClient } from '../../../src/tls/server.js';
import { TicketKeys, ticketSecret, useTicketSecret } from '../../../src/tls/tickets.js';
import { loadCrls } from '../../../src/tls/crl.js';
import { makeCrl, type TestCrl } from '../../helpers/crl.js';
import { event, WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';
import { serverTlsSettings, trustStore } from '../../helpers/tls.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Served {
  readonly reused: boolean;
  readonly identity: ClientIdentity;
  readonly refusal: string | undefined;
}

/** What the server side uses for the next handshake: its TLS, policy, ticket keys and the trust it judges with. */
interface Serving {
  prepared: PreparedServerTls;
  verifyClient: VerifyClient;
  tickets?: TicketKeys;
  trust?: TrustState | undefined;
}

interface Rig {
  readonly port: number;
  readonly serving: Serving;
  /** Resolves with the server's view of the next completed handshake. */
  next(): Promise<Served>;
}

/** A listener as the gateway's: acceptTls, then identify() and refusalReason() on what it gives. */
async function rig(t: { after(fn: () => unknown): void }, serving: Serving): Promise<Rig> {
  const waiting: ((s: Served) => void)[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server: Server = createServer((socket) => {
    const s = serving;
    const tlsSocket = acceptTls(
      socket,
      { context: s.prepared.context, contextFor: () => s.prepared.context, verifyClient: s.verifyClient, tickets: s.tickets ?? s.prepared.tickets },
      {
        secure: (secured) => {
          const identity = identify(secured, 'trust' in s ? s.trust : s.prepared.trust);
          waiting.shift()?.({ reused: secured.isSessionReused(), identity, refusal: refusalReason(identity, s.verifyClient) });
          secured.end('ok');
        },
        failed: (failed) => failed.destroy(),
      },
    );
    sockets.add(tlsSocket);
    tlsSocket.once('close', () => sockets.delete(tlsSocket));
  });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'the test server to listen');
  t.after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await event(server, 'close', 'the test server to close');
  });
  return {
    port: (server.address() as AddressInfo).port,
    serving,
    next: () => withDeadline(new Promise<Served>((resolve) => waiting.push(resolve)), WAIT_MS, 'the server to complete a handshake'),
  };
}

interface Visit {
  /** The session to resume next time (the last ticket the server sent). */
  readonly session: Buffer | undefined;
  readonly reused: boolean;
  readonly error: Error | undefined;
}

/** One connection: handshake, read until the server closes; resumes `session` when given one. */
function visit(port: number, client: Issued | undefined, options: { session?: Buffer | undefined; maxVersion?: tls.SecureVersion; chain?: string } = {}): Promise<Visit> {
  const { ca } = testPki();
  return withDeadline(
    new Promise<Visit>((resolve) => {
      let session: Buffer | undefined;
      let error: Error | undefined;
      let reused = false;
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: ca.cert,
        ...(client ? { cert: client.cert + (options.chain ?? ''), key: client.key } : {}),
        ...(options.session ? { session: options.session } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      });
      socket.on('session', (s: Buffer) => (session = s));
      socket.once('secureConnect', () => (reused = socket.isSessionReused()));
      socket.on('data', () => undefined);
      socket.on('error', (e) => (error ??= e));
      socket.once('close', () => resolve({ session, reused, error }));
    }),
    WAIT_MS,
    'a TLS client visit',
  );
}

/** Connects and returns what both sides saw. */
async function served(r: Rig, client: Issued | undefined, options: Parameters<typeof visit>[2] = {}): Promise<{ server: Served; client: Visit }> {
  const next = r.next();
  const client_ = await visit(r.port, client, options);
  return { server: await next, client: client_ };
}

function required(overrides: Partial<ServerTlsSettings> = {}): PreparedServerTls {
  return prepareServerTls(serverTlsSettings({ truststore: trustStore(testPki().ca), verifyClient: 'required', where: '127.0.0.1:0', ...overrides }));
}

function crls(...list: TestCrl[]) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-resume-crl-'));
  try {
    list.forEach((c, i) => writeFileSync(join(dir, `${i}.crl`), c.der));
    return loadCrls(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Gives `to` the ticket keys of `from`, as if both were made with the same keys. */
function shareTicketKeys(from: PreparedServerTls, to: PreparedServerTls): void {
  const keys = (from.context.context as { getTicketKeys(): Buffer }).getTicketKeys();
  for (const c of to.contexts.values()) (c.context as { setTicketKeys(k: Buffer): void }).setTicketKeys(keys);
}

for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`a client resumes its session on the listener that made it (${maxVersion}), and is judged as on its first handshake`, async (t) => {
    const { client } = testPki();
    const r = await rig(t, { prepared: required(), verifyClient: 'required' });
    const first = await served(r, client, { maxVersion });
    assert.equal(first.server.reused, false);
    assert.equal(first.server.refusal, undefined);
    assert.ok(first.client.session, 'the server sent a session ticket');
    const second = await served(r, client, { maxVersion, session: first.client.session });
    assert.equal(second.server.reused, true);
    assert.equal(second.client.reused, true);
    assert.equal(second.server.refusal, undefined);
    assert.equal(second.server.identity.subject, 'CN=device-1, OU=devices, O=Acme');
    assert.equal(second.server.identity.chainDepth, 1);
  });
}

test('a resumed client issued by an intermediate CA keeps its chain: the ticket does not hold it, the last verified one is judged', async (t) => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Resume Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'device-i', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const r = await rig(t, { prepared: required(), verifyClient: 'required' });
  const first = await served(r, device, { chain: intermediate.cert });
  assert.equal(first.server.identity.chainDepth, 2);
  const second = await served(r, device, { chain: intermediate.cert, session: first.client.session });
  assert.equal(second.server.reused, true);
  assert.equal(second.server.refusal, undefined);
  assert.equal(second.server.identity.chainDepth, 2);
  assert.deepEqual(second.server.identity.chainDer, [intermediate.x509.raw, ca.x509.raw]);
});

test('a client whose certificate was revoked by a CRL update is refused when it resumes', async (t) => {
  const { ca, client } = testPki();
  const before = required({ crl: crls(makeCrl(ca)) });
  const r = await rig(t, { prepared: before, verifyClient: 'required' });
  const first = await served(r, client);
  assert.equal(first.server.refusal, undefined);

  // The gateway rebuilds the listener's TLS with the new CRL, and new ticket keys with it: a full handshake.
  const after = required({ crl: crls(makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 2 })) });
  r.serving.prepared = after;
  const rebuilt = await served(r, client, { session: first.client.session });
  assert.equal(rebuilt.server.reused, false);
  assert.match(rebuilt.server.refusal ?? '', /^CERT_REVOKED/);

  // Were the ticket still accepted, the judgment on resumption refuses it all the same.
  r.serving.prepared = before;
  const again = await served(r, client);
  shareTicketKeys(before, after);
  r.serving.prepared = after;
  const resumed = await served(r, client, { session: again.client.session });
  assert.equal(resumed.server.reused, true, 'the session was resumed');
  assert.equal(resumed.server.identity.verified, false);
  assert.match(resumed.server.refusal ?? '', /^CERT_REVOKED/);
});

test('a resumed device whose intermediate CA revoked it is refused as revoked, not as untrusted (the ticket holds no intermediate)', async (t) => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Revoking Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'device-v', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const before = required({ crl: crls(makeCrl(ca), makeCrl(intermediate)) });
  const r = await rig(t, { prepared: before, verifyClient: 'required' });
  const first = await served(r, device, { chain: intermediate.cert });
  assert.equal(first.server.refusal, undefined);
  const after = required({ crl: crls(makeCrl(ca), makeCrl(intermediate, { revoked: [{ serial: device.x509.serialNumber }], number: 2 })) });
  shareTicketKeys(before, after);
  r.serving.prepared = after;
  const resumed = await served(r, device, { chain: intermediate.cert, session: first.client.session });
  assert.equal(resumed.server.reused, true, 'the session was resumed');
  assert.match(resumed.server.refusal ?? '', /^CERT_REVOKED/);
});

test('a client whose CA was removed from the truststore is refused when it resumes', async (t) => {
  const { client, otherCa } = testPki();
  const r = await rig(t, { prepared: required(), verifyClient: 'required' });
  const first = await served(r, client);
  assert.equal(first.server.refusal, undefined);

  // The listener's TLS rebuilt without the CA: the session is not resumed, and the full handshake refuses.
  r.serving.prepared = required({ truststore: trustStore(otherCa) });
  const rebuilt = await served(r, client, { session: first.client.session });
  assert.equal(rebuilt.server.reused, false);
  assert.match(rebuilt.server.refusal ?? '', /^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/);

  // Resumed where the current trust no longer has the CA: the judgment on resumption refuses it.
  r.serving.prepared = required();
  const again = await served(r, client);
  r.serving.trust = trustState([otherCa.x509], undefined);
  const resumed = await served(r, client, { session: again.client.session });
  assert.equal(resumed.server.reused, true, 'the session was resumed');
  assert.match(resumed.server.refusal ?? '', /^UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
});

test('a ticket from a listener that verifies no client is not resumed on one that requires a certificate: other port', async (t) => {
  const { client } = testPki();
  const open = await rig(t, { prepared: prepareServerTls(serverTlsSettings({ where: '127.0.0.1:1' })), verifyClient: 'none' });
  const strict = await rig(t, { prepared: required({ where: '127.0.0.1:2' }), verifyClient: 'required' });
  const first = await served(open, undefined);
  assert.ok(first.client.session);
  // With no certificate, the handshake on the strict listener fails: no session stands in for one.
  const refused = await visit(strict.port, undefined, { session: first.client.session });
  assert.equal(refused.reused, false);
  assert.ok(refused.error, 'the client without a certificate is refused');
  const full = await served(strict, client, { session: first.client.session });
  assert.equal(full.server.reused, false);
  assert.equal(full.client.reused, false);
});

test('a ticket made where clients were not verified is not resumed on the same port once they must be, even with the same ticket keys', async (t) => {
  const { client } = testPki();
  const none = prepareServerTls(serverTlsSettings({ where: '127.0.0.1:0', truststore: trustStore(testPki().ca) }));
  const r = await rig(t, { prepared: none, verifyClient: 'none' });
  const first = await served(r, client);
  assert.ok(first.client.session);

  const strict = required();
  r.serving.prepared = strict;
  r.serving.verifyClient = 'required';
  const rebuilt = await served(r, client, { session: first.client.session });
  assert.equal(rebuilt.server.reused, false);

  // The session id context differs with the policy, so not even a shared key resumes it.
  r.serving.prepared = none;
  r.serving.verifyClient = 'none';
  const again = await served(r, client);
  shareTicketKeys(none, strict);
  r.serving.prepared = strict;
  r.serving.verifyClient = 'required';
  const shared = await served(r, client, { session: again.client.session });
  assert.equal(shared.server.reused, false);
  assert.equal(shared.server.refusal, undefined);
  assert.equal(shared.server.identity.verified, true);
});

test('ticket keys rotate after their lifetime: a ticket made before is not resumed after', async (t) => {
  const { client } = testPki();
  const prepared = required();
  // The start of a period: periods begin at multiples of the lifetime, the same in every process.
  let now = 1_200_000;
  const tickets = new TicketKeys([...prepared.contexts.values()], { lifetimeMs: 60_000, now: () => now });
  const r = await rig(t, { prepared, verifyClient: 'required', tickets });
  const first = await served(r, client);
  now += 59_999;
  const second = await served(r, client, { session: first.client.session });
  assert.equal(second.server.reused, true);
  assert.equal(tickets.rotations, 0);
  now += 1;
  const third = await served(r, client, { session: second.client.session ?? first.client.session });
  assert.equal(tickets.rotations, 1);
  assert.equal(third.server.reused, false);
  const fourth = await served(r, client, { session: third.client.session });
  assert.equal(fourth.server.reused, true, 'tickets made under the new key resume');
});

test('every listener gets ticket keys of its own; a rebuilt one keeps them only if nothing its clients are judged by changed', () => {
  const keysOf = (p: PreparedServerTls) => (p.context.context as { getTicketKeys(): Buffer }).getTicketKeys();
  const a = keysOf(required({ where: '127.0.0.1:1' }));
  assert.deepEqual(keysOf(required({ where: '127.0.0.1:1' })), a, 'rebuilt from the same material');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:2' })), a, 'another address');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', verifyClient: 'optional' })), a, 'another ssl.verify-client');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', verifyDepth: 0 })), a, 'another ssl.verify-depth');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })), a, 'other ssl.ciphers');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', protocols: ['TLSv1.3'] })), a, 'other ssl.protocols');
  const other = issue({ subject: { CN: 'Other Ticket CA', O: 'Acme' }, isCA: true });
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', truststore: trustStore(testPki().ca, other) })), a, 'another truststore');
  assert.notDeepEqual(keysOf(required({ where: '127.0.0.1:1', crl: crls(makeCrl(testPki().ca)) })), a, 'a CRL');
  const sni = prepareServerTls(
    serverTlsSettings({ truststore: trustStore(testPki().ca), verifyClient: 'required', hostnames: ['localhost', '127.0.0.1'] }),
  );
  const all = [...sni.contexts.values()].map((c) => (c.context as { getTicketKeys(): Buffer }).getTicketKeys());
  for (const k of all) assert.deepEqual(k, all[0], 'the contexts of one listener share its keys');
});

test('a client resumes on a listener rebuilt from the same material (a reload that changed nothing it was judged by)', async (t) => {
  const { client } = testPki();
  const r = await rig(t, { prepared: required(), verifyClient: 'required' });
  const first = await served(r, client);
  r.serving.prepared = required();
  const again = await served(r, client, { session: first.client.session });
  assert.equal(again.server.reused, true);
  assert.equal(again.server.identity.verified, true);
});

test('processes given one ticket secret derive the same keys (the workers of one gateway); another secret, others', () => {
  const keysOf = (p: PreparedServerTls) => (p.context.context as { getTicketKeys(): Buffer }).getTicketKeys();
  const own = ticketSecret();
  const hour = Math.floor(Date.now() / 3_600_000);
  try {
    useTicketSecret(`${hour}:${'11'.repeat(32)}`);
    const one = keysOf(required({ where: '127.0.0.1:1' }));
    useTicketSecret(`${hour}:${'22'.repeat(32)}`);
    const two = keysOf(required({ where: '127.0.0.1:1' }));
    useTicketSecret(`${hour}:${'11'.repeat(32)}`);
    assert.deepEqual(keysOf(required({ where: '127.0.0.1:1' })), one);
    assert.notDeepEqual(two, one);
    assert.throws(() => useTicketSecret('11'.repeat(32)), /malformed TLS session ticket secret/);
    assert.throws(() => useTicketSecret(`${hour}:${'11'.repeat(31)}`), /malformed TLS session ticket secret/);
  } finally {
    useTicketSecret(own);
  }
});

test('the ticket secret moves on hour by hour, the same from the same start, and never back', () => {
  const own = ticketSecret();
  const HOUR = 3_600_000;
  const start = 500_000;
  try {
    useTicketSecret(`${start}:${'33'.repeat(32)}`);
    const skipped = ticketSecret((start + 2) * HOUR);
    useTicketSecret(`${start}:${'33'.repeat(32)}`);
    const next = ticketSecret((start + 1) * HOUR);
    assert.match(next, new RegExp(`^${start + 1}:`));
    assert.notEqual(next.split(':')[1], '33'.repeat(32));
    assert.equal(ticketSecret((start + 2) * HOUR + 5), skipped, 'one hour at a time or two at once: the same secret');
    assert.equal(ticketSecret(start * HOUR), skipped, 'an hour past gets the current secret');
  } finally {
    useTicketSecret(own);
  }
});

test("a device's first resumption under the trust it was verified under is judged from that chain, without Node linking it", async (t) => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Resume Intermediate 2', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'device-r', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const original = tls.TLSSocket.prototype.getPeerCertificate;
  let linked = 0;
  tls.TLSSocket.prototype.getPeerCertificate = function (this: tls.TLSSocket, detailed?: boolean) {
    // The server's sockets only: a client checking the server's certificate links its chain too.
    if (detailed === true && (this as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer === true) linked++;
    return original.call(this, detailed as true);
  } as typeof original;
  t.after(() => {
    tls.TLSSocket.prototype.getPeerCertificate = original;
  });
  const r = await rig(t, { prepared: required(), verifyClient: 'required' });
  const first = await served(r, device, { chain: intermediate.cert });
  assert.equal(linked, 1, 'the full handshake links the chain the client sent');
  const second = await served(r, device, { chain: intermediate.cert, session: first.client.session });
  assert.equal(second.server.reused, true);
  assert.equal(second.server.refusal, undefined);
  assert.deepEqual(second.server.identity.chainDer, [intermediate.x509.raw, ca.x509.raw]);
  assert.equal(linked, 1, 'the resumption did not link it again');
});

test('ssl.crl: a self-signed client is told so when it resumes as well, not of a CRL', async (t) => {
  const { ca } = testPki();
  const self = issue({ subject: { CN: 'device-12' }, usage: 'client' });
  const r = await rig(t, { prepared: required({ verifyClient: 'optional', crl: crls(makeCrl(ca)) }), verifyClient: 'optional' });
  const first = await served(r, self);
  assert.equal(first.server.identity.error, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  const again = await served(r, self, { session: first.client.session });
  assert.equal(again.server.reused, true);
  assert.equal(again.server.identity.error, 'DEPTH_ZERO_SELF_SIGNED_CERT');
});

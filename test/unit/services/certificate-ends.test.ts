/**
 * A connection whose client certificate, or a CA of its chain, ends while it is open is judged again at that moment
 * and closed (1008), as it would be refused if it reconnected. Time is a fake wall clock, moved by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { loadConfig } from '../../../src/config/index.js';
import { Gateway } from '../../../src/gateway.js';
import { CertificateEnds } from '../../../src/services/certificate-ends.js';
import { LONGEST_WAIT_MS } from '../../../src/timers/wall-clock.js';
import { page } from '../../../src/services/management/connections.js';
import { SessionRegistry, type Session } from '../../../src/services/sessions.js';
import { chainEnd } from '../../../src/tls/chain-end.js';
import { anonymousIdentity, refusalReason } from '../../../src/tls/identity.js';
import type { Clock } from '../../../src/timers/deadlines.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { echoService, PEM_SECURITY, workspace } from '../../helpers/e2e-setup.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';

const DAY = 86_400_000;

/** A fake clock that reads as the wall clock did when it was made, plus what advance() added. */
function fakeWallClock(): Clock & { advance(ms: number): void; pending(): number } {
  const clock = fakeClock();
  const base = Date.now();
  return { ...clock, now: () => base + clock.now() };
}

type Stub = Pick<Session, 'certificateEndsAt' | 'closing'>;

function stub(certificateEndsAt: number | undefined): Stub {
  return { certificateEndsAt, closing: undefined };
}

test('one timer for the earliest end: each session is handed over once, at its end, and the next end is armed', () => {
  const clock = fakeWallClock();
  const t0 = clock.now();
  const live: Stub[] = [];
  const ended: Stub[][] = [];
  const ends = new CertificateEnds(() => live as Session[], clock);
  ends.start((sessions) => ended.push(sessions));
  const add = (s: Stub): Stub => {
    live.push(s);
    if (s.certificateEndsAt !== undefined) ends.add(s.certificateEndsAt);
    return s;
  };
  const late = add(stub(t0 + 50_000));
  const early = add(stub(t0 + 10_000));
  add(stub(undefined));
  assert.equal(clock.pending(), 1, 'an earlier end re-arms the one timer');

  clock.advance(10_000);
  assert.equal(ended.length, 0, 'a certificate is valid up to and including its notAfter');
  clock.advance(1);
  assert.deepEqual(ended, [[early]]);
  assert.equal(early.certificateEndsAt, undefined, 'judged once');

  clock.advance(40_000);
  assert.deepEqual(ended, [[early], [late]]);
  assert.equal(clock.pending(), 0, 'nothing left to wait for');
});

test('a session already closing is not handed over; a session that opens ended is judged at once', () => {
  const clock = fakeWallClock();
  const t0 = clock.now();
  const closing: Stub = { certificateEndsAt: t0 + 1_000, closing: { code: 1001, reason: 'going' } };
  const live: Stub[] = [closing];
  const ended: Stub[][] = [];
  const ends = new CertificateEnds(() => live as Session[], clock);
  ends.start((sessions) => ended.push(sessions));
  clock.advance(1_001);
  assert.deepEqual(ended, []);

  const past = stub(clock.now() - 1);
  live.push(past);
  ends.add(past.certificateEndsAt as number);
  clock.advance(0);
  assert.deepEqual(ended, [[past]]);
});

test('a far end is waited for an hour at a time, so that a wall clock set forward meanwhile is caught up with', () => {
  const clock = fakeWallClock();
  const live = [stub(clock.now() + 90 * DAY)];
  const ended: Stub[][] = [];
  const ends = new CertificateEnds(() => live as Session[], clock);
  ends.start((sessions) => ended.push(sessions));
  clock.advance(LONGEST_WAIT_MS);
  assert.equal(clock.pending(), 1, 'armed again after the first hour');
  assert.deepEqual(ended, []);
  ends.stop();
  assert.equal(clock.pending(), 0);
});

test("a chain ends with the first of its certificates to end: an intermediate CA's end before its device's counts", () => {
  const pki = testPki();
  const intermediate = issue({ subject: { CN: 'Short CA', O: 'Acme' }, issuer: pki.ca, isCA: true, notAfterDays: 10 });
  const leaf = issue({ subject: { CN: 'device-9', O: 'Acme' }, issuer: intermediate, usage: 'client', keyType: 'ec', notAfterDays: 300 });
  const identity = { ...anonymousIdentity(), presented: true, verified: true, certificateDer: leaf.x509.raw, chainDer: [intermediate.x509.raw, pki.ca.x509.raw] };
  assert.equal(chainEnd(identity), Date.parse(intermediate.x509.validTo));
  assert.equal(chainEnd({ ...identity, chainDer: [] }), Date.parse(leaf.x509.validTo));
  assert.equal(chainEnd({ ...identity, verified: false }), undefined, 'a refused certificate has nothing to end');
  assert.equal(chainEnd(anonymousIdentity()), undefined);
  // Refused for it, the reason names the CA that ended rather than the device's own, later, end.
  const refused = { ...identity, verified: false, error: 'CERT_HAS_EXPIRED' };
  assert.equal(refusalReason(refused, 'required'), `CERT_HAS_EXPIRED: certificate has expired: a CA of its chain, "CN=Short CA, O=Acme", expired at ${new Date(intermediate.x509.validTo).toISOString()}`);
  assert.match(refusalReason({ ...refused, chainDer: [pki.ca.x509.raw], validTo: new Date(leaf.x509.validTo).toISOString() }, 'required') ?? '', /^CERT_HAS_EXPIRED: certificate has expired \(valid to /);
});

test('a live connection is closed (1008) when its client certificate ends, logged and counted; another stays', async (t) => {
  const pki = testPki();
  const device = (cn: string, notAfterDays: number): Issued =>
    issue({ subject: { CN: cn, O: 'Acme' }, issuer: pki.ca, usage: 'client', keyType: 'ec', notAfterDays });
  const soon = device('device-soon', 30);
  const later = device('device-later', 300);

  const space = workspace();
  t.after(() => space.cleanup());
  const loaded = loadConfig(
    space.config(`${echoService('wss://127.0.0.1:0/echo')}${PEM_SECURITY}`.replace('<type>echo</type>', '<type>echo</type><accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>')),
  );
  assert.ok(loaded.ok, JSON.stringify(loaded.diagnostics));
  const clock = fakeWallClock();
  const logs = memoryLog();
  const prepared = Gateway.prepare(loaded.config, { log: logs.log, sessions: new SessionRegistry({ wallClock: clock }) });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  t.after(() => gateway.stop());
  const url = `wss://127.0.0.1:${bound?.port}/echo`;

  const open = async (client: Issued): Promise<WebSocket> => {
    const ws = new WebSocket(url, { ca: pki.ca.cert, cert: client.cert, key: client.key });
    await event(ws, 'open', `${url} to open`);
    const reply = event<[Buffer]>(ws, 'message', 'the echo');
    ws.send('hello');
    assert.equal(String((await reply)[0]), 'hello');
    return ws;
  };
  const soonWs = await open(soon);
  const laterWs = await open(later);
  t.after(() => laterWs.terminate());

  // The connection list says when each ends.
  const listed = page(gateway.sessions, {}, 0, 10).connections.map((c) => [c.subject, c.certificateValidTo]);
  assert.deepEqual(listed, [
    ['CN=device-soon, O=Acme', new Date(soon.x509.validTo).toISOString()],
    ['CN=device-later, O=Acme', new Date(later.x509.validTo).toISOString()],
  ]);

  const closed = event<[number, Buffer]>(soonWs, 'close', 'the connection of the ended certificate to close');
  clock.advance(31 * DAY);
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.match(String(reason), /certificate/);
  const line = logs.lines.find((l) => l['code'] === 'GW_ERR_SESSION_CLOSED');
  assert.equal(line?.['rule'], 'certificate');
  assert.match(String(line?.['subject']), /device-soon/);
  assert.match(String(line?.['msg']), /expired/);
  assert.equal(gateway.policyCloses.get('certificate'), 1);

  assert.equal(laterWs.readyState, WebSocket.OPEN, 'a certificate that has not ended keeps its connection');
  const reply = event<[Buffer]>(laterWs, 'message', 'the echo after');
  laterWs.send('still here');
  assert.equal(String((await reply)[0]), 'still here');
});

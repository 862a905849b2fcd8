import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { issueTicket, ticketLifetimeS, verifyTicket, MAXIMUM_TICKET_LENGTH, type TicketChain, type TicketSource } from '../../../../src/auth/realm/ticket.js';
import { chainFacts } from '../../../../src/tls/chain-facts.js';
import { identity } from '../../../helpers/access-identity.js';
import { issue, testPki, type Issued } from '../../../helpers/pki.js';

const A = Buffer.from('a'.repeat(40));
const B = Buffer.from('b'.repeat(40));
const pki = testPki();
// The test certificates last a year or more from today: within that, a ticket's lifetime is its max-age.
const NOW = Date.now();

/** A verified certificate's identity. */
function source(overrides: Partial<TicketSource> = {}): TicketSource {
  return { ...identity(), ...overrides };
}

/** What the TLS layer gives for the chain a certificate was verified along (the client's, to the test CA). */
function chainOf(leaf: Issued = pki.client, chain: readonly Issued[] = [pki.ca]): TicketChain {
  const facts = chainFacts(leaf.x509.raw, chain.map((c) => c.x509.raw));
  assert.ok(facts !== undefined);
  return facts;
}

/** issueTicket's ticket, which these sources always get. */
function ticket(from: TicketSource, realm: string, secret: Buffer, nowMs: number, maxAgeS: number, chain: TicketChain = chainOf()): string {
  const issued = issueTicket(from, chain, realm, secret, nowMs, maxAgeS);
  assert.ok(issued.ticket !== undefined);
  return issued.ticket;
}

test('a ticket verifies in its realm until it expires, and carries the certificate facts and its chain', () => {
  const id = source({ serialNumber: '0A1B' });
  const t = ticket(id, 'ios', A, NOW, 3600);
  assert.match(t, /^v2\./);
  const check = verifyTicket(t, 'ios', [A], NOW + 3599_000, 3600);
  assert.ok(check.ok);
  assert.deepEqual(check.identity, {
    fingerprint256: id.fingerprint256,
    subject: id.subject,
    subjectAttributes: id.subjectAttributes,
    sans: id.sans,
    serialNumber: '0A1B',
    chain: chainOf(),
  });
  assert.equal(check.expiresAt, Math.floor(NOW / 1000) * 1000 + 3600_000);
  const expired = verifyTicket(t, 'ios', [A], Math.floor(NOW / 1000) * 1000 + 3600_000, 3600);
  assert.deepEqual(expired, { ok: false, reason: 'certificate ticket expired 0 s ago' });
});

test('no ticket for a chain that could not be read, or one too long for a cookie, and it says why', () => {
  assert.match(issueTicket(source(), undefined, 'ios', A, NOW, 60).ticket ?? 'none', /^none$/);
  assert.match(String(Reflect.get(issueTicket(source(), undefined, 'ios', A, NOW, 60), 'reason')), /could not be read/);
  const sans = Array.from({ length: 100 }, (_, i) => ({ type: 'DNS' as const, value: `device-${i}.devices.acme.example.com` }));
  const long = issueTicket(source({ sans }), chainOf(), 'ios', A, NOW, 60);
  assert.equal(long.ticket, undefined);
  assert.match(String(Reflect.get(long, 'reason')), /^the ticket would be \d+ characters, more than a cookie may hold \(4000\)/);
});

test('a ticket of an earlier version, which kept no chain, is refused and says so', () => {
  const body = Buffer.from(JSON.stringify({ f: pki.client.x509.fingerprint256, s: null, a: {}, n: [], x: null, e: Math.floor(NOW / 1000) + 60 })).toString('base64url');
  const mac = createHmac('sha256', A).update(`v1\0ios\0${body}`).digest('base64url');
  const check = verifyTicket(`v1.${body}.${mac}`, 'ios', [A], NOW, 60);
  assert.deepEqual(check, { ok: false, reason: 'certificate ticket of an earlier version, which does not say what its certificate was verified along: presenting the certificate again gets a new one' });
});

test('a ticket ends no later than a CA of the chain its certificate was verified along', () => {
  const intermediate = issue({ subject: { CN: 'Short CA', O: 'Acme' }, issuer: pki.ca, isCA: true, notAfterDays: 1 / 24 });
  const leaf = issue({ subject: { CN: 'device-9', O: 'Acme' }, issuer: intermediate, usage: 'client', keyType: 'ec', notAfterDays: 300 });
  const from = source();
  const chain = chainOf(leaf, [intermediate, pki.ca]);
  // Read after the CA was made, an hour from then.
  const now = Date.now();
  const lifetime = ticketLifetimeS(chain, now, 8 * 3600);
  assert.ok(lifetime > 0 && lifetime <= 3600, `${lifetime} s: the hour its CA has left, not the eight hours of max-age`);
  const check = verifyTicket(ticket(from, 'ios', A, now, 8 * 3600, chain), 'ios', [A], now, 8 * 3600);
  assert.equal(check.ok && check.expiresAt, (Math.floor(now / 1000) + lifetime) * 1000);
  assert.equal(Reflect.get(issueTicket(from, chain, 'ios', A, now, 8 * 3600), 'lifetimeS'), lifetime);
  // A chain of four CAs with long names still fits in a cookie.
  const names = (n: number) => ({ CN: `Acme Device Issuing Certification Authority ${n} for Fleet Management`, OU: 'Public Key Infrastructure Operations', O: 'Acme Corporation International', L: 'Springfield', C: 'US' });
  let issuer = pki.ca;
  const cas = [1, 2, 3, 4].map((n) => (issuer = issue({ subject: names(n), issuer, isCA: true, notAfterDays: 30 })));
  const deep = issue({ subject: { CN: 'device-deep', O: 'Acme' }, issuer, usage: 'client', keyType: 'ec' });
  const deepChain = chainOf(deep, [...cas.reverse(), pki.ca]);
  assert.equal(deepChain.links.length, 5);
  assert.ok(ticket(from, 'ios', A, now, 3600, deepChain).length < 2000);
});

test('rotation: the first secret signs, every secret verifies; a retired secret no longer does', () => {
  const old = ticket(source(), 'ios', A, NOW, 60);
  assert.ok(verifyTicket(old, 'ios', [B, A], NOW, 60).ok);
  assert.equal(verifyTicket(old, 'ios', [B], NOW, 60).ok, false);
});

test('a ticket from another realm, with the same secret, is refused', () => {
  const t = ticket(source(), 'pages', A, NOW, 60);
  const check = verifyTicket(t, 'ios', [A], NOW, 60);
  assert.equal(check.ok, false);
  assert.match(check.ok ? '' : check.reason, /does not verify/);
});

test('a ticket expiring beyond the max-age (issued under a longer one) is refused', () => {
  const t = ticket(source(), 'ios', A, NOW, 7200);
  assert.equal(verifyTicket(t, 'ios', [A], NOW, 3600).ok, false);
});

test('forged and malformed tickets are refused without throwing', () => {
  const t = ticket(source(), 'ios', A, NOW, 60);
  const [v, body, mac] = t.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  const forgedBody = Buffer.from(JSON.stringify({ ...payload, s: 'CN=admin' })).toString('base64url');
  const signed = (p: Record<string, unknown>) => {
    const b = Buffer.from(JSON.stringify(p)).toString('base64url');
    return `v2.${b}.${createHmac('sha256', A).update(`v2\0ios\0${b}`).digest('base64url')}`;
  };
  for (const bad of ['', 'v2', 'v2..', `${v}.${forgedBody}.${mac}`, `${v}.${body}.${mac.slice(0, -2)}`, `${v}.${body}.${mac}.x`, `v3.${body}.${mac}`, `v1.${body}.${mac}`, 'v2.' + 'a'.repeat(MAXIMUM_TICKET_LENGTH)]) {
    assert.equal(verifyTicket(bad, 'ios', [A], NOW, 60).ok, false, bad.slice(0, 40));
  }
  // Signed, but not the shape this gateway issues: a chain missing or malformed is refused, never thrown on.
  for (const c of [undefined, null, 'x', { r: 1, e: 1, l: [] }, { r: 'R', e: 1.5, l: [] }, { r: 'R', e: 1, l: [['1', 'i']] }, { r: 'R', e: 1, l: 'x' }]) {
    const check = verifyTicket(signed({ ...payload, c }), 'ios', [A], NOW, 60);
    assert.deepEqual(check, { ok: false, reason: 'malformed certificate ticket' }, JSON.stringify(c));
  }
});

test('property: changing any one character of a ticket makes it fail', () => {
  const t = ticket(source(), 'ios', A, NOW, 60);
  fc.assert(
    fc.property(fc.nat(t.length - 1), fc.constantFrom(...'ABCDEFabcdef0123456789-_.'), (i, c) => {
      fc.pre(t[i] !== c);
      const altered = t.slice(0, i) + c + t.slice(i + 1);
      // base64url's last character may carry unused bits: an alteration that decodes to the same bytes is the same ticket.
      const same = Buffer.from(altered.split('.')[2] ?? '', 'base64url').equals(Buffer.from(t.split('.')[2] as string, 'base64url')) && altered.split('.').slice(0, 2).join('.') === t.split('.').slice(0, 2).join('.');
      fc.pre(!same);
      assert.equal(verifyTicket(altered, 'ios', [A], NOW, 60).ok, false);
    }),
  );
});

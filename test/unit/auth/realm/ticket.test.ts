import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { issueTicket, ticketLifetimeS, verifyTicket, MAXIMUM_TICKET_LENGTH } from '../../../../src/auth/realm/ticket.js';
import { identity } from '../../../helpers/access-identity.js';
import { issue, testPki } from '../../../helpers/pki.js';

const A = Buffer.from('a'.repeat(40));
const B = Buffer.from('b'.repeat(40));
const NOW = Date.UTC(2026, 0, 1);

test('a ticket verifies in its realm until it expires, and carries the certificate facts', () => {
  const id = identity();
  const t = issueTicket({ ...id, serialNumber: '0A1B' }, 'ios', A, NOW, 3600);
  const check = verifyTicket(t, 'ios', [A], NOW + 3599_000, 3600);
  assert.ok(check.ok);
  assert.deepEqual(check.identity, { fingerprint256: id.fingerprint256, subject: id.subject, subjectAttributes: id.subjectAttributes, sans: id.sans, serialNumber: '0A1B' });
  assert.equal(check.expiresAt, NOW + 3600_000);
  const expired = verifyTicket(t, 'ios', [A], NOW + 3600_000, 3600);
  assert.deepEqual(expired, { ok: false, reason: 'certificate ticket expired 0 s ago' });
});

test("a ticket ends no later than its certificate: what stands for the certificate is refused when it would be", () => {
  const endsSoon = new Date(NOW + 600_000).toISOString();
  const t = issueTicket({ ...identity(), validTo: endsSoon }, 'ios', A, NOW, 3600);
  const check = verifyTicket(t, 'ios', [A], NOW, 3600);
  assert.equal(check.ok && check.expiresAt, NOW + 600_000);
  assert.deepEqual(verifyTicket(t, 'ios', [A], NOW + 600_000, 3600), { ok: false, reason: 'certificate ticket expired 0 s ago' });
  const endsLater = issueTicket({ ...identity(), validTo: new Date(NOW + 86_400_000).toISOString() }, 'ios', A, NOW, 3600);
  const later = verifyTicket(endsLater, 'ios', [A], NOW, 3600);
  assert.equal(later.ok && later.expiresAt, NOW + 3600_000, 'a certificate that lasts longer leaves the max-age as it is');
});

test('a ticket ends no later than a CA of the chain its certificate was verified along', () => {
  const pki = testPki();
  const intermediate = issue({ subject: { CN: 'Short CA', O: 'Acme' }, issuer: pki.ca, isCA: true, notAfterDays: 1 / 24 });
  const leaf = issue({ subject: { CN: 'device-9', O: 'Acme' }, issuer: intermediate, usage: 'client', keyType: 'ec', notAfterDays: 300 });
  const now = Date.now();
  const source = { ...identity(), validTo: new Date(leaf.x509.validTo).toISOString(), certificateDer: leaf.x509.raw, chainDer: [intermediate.x509.raw, pki.ca.x509.raw] };
  const lifetime = ticketLifetimeS(source, now, 8 * 3600);
  assert.ok(lifetime > 0 && lifetime <= 3600, `${lifetime} s: the hour its CA has left, not the eight hours of max-age`);
  const check = verifyTicket(issueTicket(source, 'ios', A, now, 8 * 3600), 'ios', [A], now, 8 * 3600);
  assert.equal(check.ok && check.expiresAt, (Math.floor(now / 1000) + lifetime) * 1000);
});

test('rotation: the first secret signs, every secret verifies; a retired secret no longer does', () => {
  const old = issueTicket(identity(), 'ios', A, NOW, 60);
  assert.ok(verifyTicket(old, 'ios', [B, A], NOW, 60).ok);
  assert.equal(verifyTicket(old, 'ios', [B], NOW, 60).ok, false);
});

test('a ticket from another realm, with the same secret, is refused', () => {
  const t = issueTicket(identity(), 'pages', A, NOW, 60);
  const check = verifyTicket(t, 'ios', [A], NOW, 60);
  assert.equal(check.ok, false);
  assert.match(check.ok ? '' : check.reason, /does not verify/);
});

test('a ticket expiring beyond the max-age (issued under a longer one) is refused', () => {
  const t = issueTicket(identity(), 'ios', A, NOW, 7200);
  assert.equal(verifyTicket(t, 'ios', [A], NOW, 3600).ok, false);
});

test('forged and malformed tickets are refused without throwing', () => {
  const t = issueTicket(identity(), 'ios', A, NOW, 60);
  const [v, body, mac] = t.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  const forgedBody = Buffer.from(JSON.stringify({ ...payload, s: 'CN=admin' })).toString('base64url');
  for (const bad of ['', 'v1', 'v1..', `${v}.${forgedBody}.${mac}`, `${v}.${body}.${mac.slice(0, -2)}`, `${v}.${body}.${mac}.x`, `v2.${body}.${mac}`, 'v1.' + 'a'.repeat(MAXIMUM_TICKET_LENGTH)]) {
    assert.equal(verifyTicket(bad, 'ios', [A], NOW, 60).ok, false, bad.slice(0, 40));
  }
});

test('property: changing any one character of a ticket makes it fail', () => {
  const t = issueTicket(identity(), 'ios', A, NOW, 60);
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { page, row } from '../../../src/services/management/connections.js';
import type { Session, SessionRegistry } from '../../../src/services/sessions.js';
import { chainFacts } from '../../../src/tls/chain-facts.js';
import { anonymousIdentity, type ClientIdentity } from '../../../src/tls/identity.js';
import { testPki } from '../../helpers/pki.js';

const pki = testPki();

function session(identity: ClientIdentity): Session {
  return { id: '7', serviceName: 'ios', accept: 'wss://h:443/ios', path: '/ios', downstreamAddress: '192.0.2.1', downstreamPort: 5000, identity, openedAt: 0, traffic: { bytesIn: 0, bytesOut: 0 }, closing: undefined } as unknown as Session;
}

test('a connection a certificate ticket admitted is listed with its realm, the certificate it stands for, and when that ends', () => {
  const facts = chainFacts(pki.client.x509.raw, [pki.ca.x509.raw]);
  assert.ok(facts !== undefined);
  const byTicket = row(session({ ...anonymousIdentity(), presented: true, verified: true, subject: 'CN=device-1', fingerprint256: 'AB', ticket: 'ios', ticketChain: facts }), 0);
  assert.deepEqual([byTicket.ticket, byTicket.subject, byTicket.verified, byTicket.certificateValidTo], ['ios', 'CN=device-1', true, new Date(facts.end).toISOString()]);
  const byCertificate = row(session({ ...anonymousIdentity(), presented: true, verified: true, subject: 'CN=device-1', certificateDer: pki.client.x509.raw, chainDer: [pki.ca.x509.raw] }), 0);
  assert.equal(byCertificate.ticket, null);
});

test('a connection a realm admitted is listed, and found, by the name it was admitted as', () => {
  const byToken = { ...session(undefined as unknown as ClientIdentity), principal: 'token:3fa2c19e' } as unknown as Session;
  const listed = row(byToken, 0);
  assert.deepEqual([listed.principal, listed.subject], ['token:3fa2c19e', null]);
  const sessions = [byToken] as unknown as SessionRegistry;
  assert.equal(page(sessions, { text: 'TOKEN:3FA2' }, 0, 10).total, 1);
  assert.equal(page(sessions, { text: 'joe' }, 0, 10).total, 0);
  assert.equal(row(session(anonymousIdentity()), 0).principal, null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAgain, judgeConnection } from '../../../src/listener/live-policy.js';
import type { DownstreamConnection } from '../../../src/listener/connection.js';
import type { Route } from '../../../src/listener/routes.js';
import type { Session } from '../../../src/services/sessions.js';
import { chainFacts } from '../../../src/tls/chain-facts.js';
import { anonymousIdentity, type ClientIdentity } from '../../../src/tls/identity.js';
import { trustState, type TrustState } from '../../../src/tls/resumed.js';
import { testPki } from '../../helpers/pki.js';

const pki = testPki();
const ACCEPT = 'wss://localhost:443/ios';

/** A live session on ACCEPT, as judgeAgain reads it. */
function connection(identity: ClientIdentity | undefined): DownstreamConnection {
  const session = { serviceName: 'ios', accept: ACCEPT, path: '/ios', closing: undefined } as unknown as Session;
  return { session, identity, endpoints: { address: '192.0.2.1', port: 5000, localAddress: '127.0.0.1', localPort: 443 } } as unknown as DownstreamConnection;
}

const routes = [{ accept: { uri: ACCEPT, path: '/ios' }, service: { config: { name: 'ios' } }, access: { check: () => undefined } } as unknown as Route];

const facts = chainFacts(pki.client.x509.raw, [pki.ca.x509.raw]);
assert.ok(facts !== undefined);
/** What the realm gives a WebSocket a certificate ticket admitted: the certificate's names, no DER. */
const byTicket: ClientIdentity = { ...anonymousIdentity(), presented: true, verified: true, subject: 'CN=device-1', fingerprint256: pki.client.x509.fingerprint256, ticket: 'ios', ticketChain: facts };
const byCertificate: ClientIdentity = { ...anonymousIdentity(), presented: true, verified: true, subject: 'CN=device-1', certificateDer: pki.client.x509.raw, chainDer: [pki.ca.x509.raw] };

const rules = (trusts: readonly TrustState[]) => ({ verifyClient: 'none' as const, verifyDepth: undefined, trusts: () => trusts });

test("a ticket's session is judged against every listener's trust, whatever its own listener's verify-client", () => {
  const conns = [connection(byTicket)];
  assert.deepEqual(judgeAgain(conns, routes, undefined, rules([trustState([pki.ca.x509], undefined)])), []);
  const [refused, ...rest] = judgeAgain(conns, routes, undefined, rules([trustState([pki.otherCa.x509], undefined)]));
  assert.deepEqual(rest, []);
  assert.equal(refused?.rule, 'untrusted');
  assert.equal(refused?.reason, 'certificate ticket of "CN=device-1" refused: UNABLE_TO_GET_ISSUER_CERT_LOCALLY: its root CA is in the truststore of no accept that verifies clients');
  assert.equal(judgeAgain(conns, routes, undefined, rules([trustState([pki.ca.x509], undefined)]), { now: facts.end + 1 })[0]?.rule, 'certificate', 'its chain has ended');
});

test('ticketsOnly judges the sessions tickets admitted and leaves the others', () => {
  const conns = [connection(byCertificate), connection(byTicket), connection(undefined)];
  const untrusting = trustState([pki.otherCa.x509], undefined);
  const refused = judgeAgain(conns, routes, untrusting, { ...rules([untrusting]), verifyClient: 'required' }, { ticketsOnly: true });
  assert.deepEqual(refused.map((r) => r.session), [conns[1]?.session]);
  const all = judgeAgain(conns, routes, untrusting, { ...rules([untrusting]), verifyClient: 'required' });
  assert.deepEqual(all.map((r) => r.session), [conns[0]?.session, conns[1]?.session], "without it, the certificate's session is judged by its listener's trust too");
});

test("judgeConnection: a ticket's verdict carries its OpenSSL code, and an accept its service no longer has is gone", () => {
  const conn = connection(byTicket);
  const on = { serviceName: 'ios', accept: ACCEPT, path: '/ios' };
  const verdict = judgeConnection(conn, on, routes, undefined, rules([trustState([pki.otherCa.x509], undefined)]));
  assert.ok(verdict !== undefined && verdict !== 'gone');
  assert.equal(verdict.rule, 'untrusted');
  assert.equal(verdict.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'not the start of the reason, which names the subject');
  assert.equal(judgeConnection(conn, on, routes, undefined, rules([trustState([pki.ca.x509], undefined)])), undefined);
  assert.equal(judgeConnection(conn, { ...on, serviceName: 'another' }, routes, undefined, rules([])), 'gone', 'the URI is another service\'s');
});

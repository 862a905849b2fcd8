import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { certificateInSession, sessionPeerDer } from '../../../src/tls/session-peer.js';
import { testPki } from '../../helpers/pki.js';
import { handshake } from '../../helpers/tls.js';

function serverOptions(): { key: string; cert: string; ca: string[]; requestCert: true; rejectUnauthorized: false } {
  const { server, ca } = testPki();
  return { key: server.key, cert: server.cert, ca: [ca.cert], requestCert: true, rejectUnauthorized: false };
}

async function serverSees<T>(clientOptions: Record<string, unknown>, inspect: (socket: TLSSocket) => T): Promise<T> {
  const { ca } = testPki();
  const result = await handshake(serverOptions(), { ca: [ca.cert], servername: 'localhost', ...clientOptions }, inspect);
  assert.equal(result.clientError, undefined, result.clientError?.message);
  return result.server as T;
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`the client certificate read from the session is the one the client sent (${version})`, async () => {
    const { client } = testPki();
    const seen = await serverSees({ key: client.key, cert: client.cert, maxVersion: version }, (s) => ({ protocol: s.getProtocol(), der: sessionPeerDer(s) }));
    assert.equal(seen.protocol, version);
    assert.ok(seen.der);
    assert.ok(seen.der.equals(client.x509.raw));
  });
}

test('a client that sent no certificate has none in its session', async () => {
  assert.equal(await serverSees({}, sessionPeerDer), undefined);
});

test("the session's certificate is found only in a whole session, and bytes of any other shape give nothing", async () => {
  const { client } = testPki();
  const session = await serverSees({ key: client.key, cert: client.cert }, (s) => s.getSession());
  assert.ok(session);
  const found = certificateInSession(session);
  assert.ok(found && Buffer.from(found).equals(client.x509.raw));
  for (let cut = 0; cut < session.length; cut++) assert.equal(certificateInSession(session.subarray(0, cut)), undefined, `cut at ${cut}`);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (random, at, byte) => {
      // Random bytes, and the real session with one byte changed: never a throw, and never a view that is not one
      // whole DER SEQUENCE.
      const changed = Buffer.from(session);
      changed[at % changed.length] = byte;
      for (const bytes of [Buffer.from(random), changed]) {
        const cert = certificateInSession(bytes);
        if (cert === undefined) continue;
        assert.equal(cert[0], 0x30);
      }
    }),
  );
});

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
  assert.equal(await serverSees({}, sessionPeerDer), null);
});

test('the serialised session, which holds the master secret, is overwritten once read; a closed socket has none to read', async () => {
  const { client } = testPki();
  const session = await serverSees({ key: client.key, cert: client.cert }, (s) => s.getSession());
  assert.ok(session);
  const handed = Buffer.from(session);
  const der = sessionPeerDer({ getSession: () => handed } as unknown as TLSSocket);
  assert.ok(der);
  assert.ok(der.equals(client.x509.raw));
  assert.ok(handed.every((b) => b === 0), 'no byte of the session is left');
  assert.notEqual(der.buffer, handed.buffer, 'the certificate is a copy, not a view of the wiped session');
  assert.equal(der.buffer.byteLength, der.length, "the copy has memory of its own, not a slice of Node's pool");
  // Node returns null, not undefined, once the socket's handle is gone.
  assert.equal(sessionPeerDer({ getSession: () => null } as unknown as TLSSocket), undefined);
  assert.equal(sessionPeerDer({ getSession: () => undefined } as unknown as TLSSocket), undefined);
});

/** The length a DER element's header announces plus the header's own, or undefined when it cannot say. */
function derSpan(bytes: Uint8Array): number | undefined {
  const first = bytes[1];
  if (first === undefined) return undefined;
  if ((first & 0x80) === 0) return 2 + first;
  const octets = first & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + octets + length;
}

test("the session's certificate is found only in a whole session; other bytes never throw, and what is found is one whole DER SEQUENCE inside them", async () => {
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
        if (!cert) continue;
        assert.equal(cert[0], 0x30);
        assert.equal(derSpan(cert), cert.length);
        assert.equal(cert.buffer, bytes.buffer);
        assert.ok(cert.byteOffset >= bytes.byteOffset && cert.byteOffset + cert.length <= bytes.byteOffset + bytes.length);
      }
    }),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { prepareServerTls } from '../../../src/tls/server.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';
import { keyEntry, keyStore, serverTlsSettings, trustStore } from '../../helpers/tls.js';

const DEADLINE_MS = 5000;

const settings = serverTlsSettings;

function serverCert(name: string): Issued {
  return issue({ subject: { CN: name }, sans: [`DNS:${name}`], issuer: testPki().ca, usage: 'server' });
}

/**
 * Connects to `server` with TLS 1.2 (TLS 1.3 has no renegotiation), asks to renegotiate once, and says how that
 * ended: `renegotiated`, or the client's error code. The server is closed afterwards.
 */
async function renegotiateOnce(server: tls.Server, servername: string): Promise<string> {
  const serverSockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    serverSockets.add(s);
    // The client's alert after a refusal reaches the server socket as an error; that is the expected end.
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = tls.connect({ host: '127.0.0.1', port, servername, ca: [testPki().ca.cert], maxVersion: 'TLSv1.2' });
  let timer: NodeJS.Timeout | undefined;
  try {
    await once(client, 'secureConnect');
    assert.equal(client.getProtocol(), 'TLSv1.2');
    return await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`renegotiation with ${servername} neither completed nor failed within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      // Node calls back only on success; a refusal arrives as an error on the socket.
      client.once('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
      client.renegotiate({}, (err) => resolve(err ? `not started: ${err.message}` : 'renegotiated'));
    });
  } finally {
    clearTimeout(timer);
    client.destroy();
    for (const s of serverSockets) s.destroy();
    server.close();
    await once(server, 'close');
  }
}

test('a client that asks to renegotiate TLS 1.2 gets a no_renegotiation alert', async () => {
  const { options } = prepareServerTls(settings({}));
  assert.equal(await renegotiateOnce(tls.createServer(options), 'localhost'), 'ERR_SSL_NO_RENEGOTIATION');
  // The same server without the option renegotiates: Node and OpenSSL would allow it otherwise.
  assert.equal(await renegotiateOnce(tls.createServer({ ...options, secureOptions: 0 }), 'localhost'), 'renegotiated');
});

test('renegotiation is refused with client verification, for SNI-chosen hosts, and after the contexts are replaced', async () => {
  const { ca } = testPki();
  const prepared = prepareServerTls(
    settings({
      keystore: keyStore(keyEntry('a', serverCert('a.example.com'), ca), keyEntry('b', serverCert('b.example.com'), ca)),
      hostnames: ['a.example.com', 'b.example.com'],
      verifyClient: 'optional',
      truststore: trustStore(ca),
    }),
  );
  assert.equal(await renegotiateOnce(tls.createServer(prepared.options), 'b.example.com'), 'ERR_SSL_NO_RENEGOTIATION');
  // As a listener does when its TLS material is reloaded: new contexts for new handshakes.
  const reloaded = tls.createServer({ ...prepared.options, secureOptions: 0 });
  const { SNICallback: _unused, ...options } = prepared.options;
  reloaded.setSecureContext(options);
  assert.equal(await renegotiateOnce(reloaded, 'a.example.com'), 'ERR_SSL_NO_RENEGOTIATION');
});

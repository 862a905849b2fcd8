import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { acceptTls } from '../../../src/tls/accept.js';
import { prepareServerTls, type VerifyClient } from '../../../src/tls/server.js';
import { testPki, type Issued } from '../../helpers/pki.js';
import { keyEntry, keyStore, trustStore } from '../../helpers/tls.js';

interface ServerView {
  readonly outcome: 'secure' | 'failed';
  readonly authorized: boolean;
  readonly authorizationError: unknown;
  readonly code: string | undefined;
}

/** One handshake through acceptTls; resolves with what the server side saw. */
async function serverView(verifyClient: VerifyClient, client: Issued | undefined): Promise<ServerView> {
  const { server, ca } = testPki();
  const prepared = prepareServerTls({ keystore: keyStore(keyEntry('localhost', server, ca)), truststore: trustStore(ca), hostnames: ['localhost'], verifyClient, ciphers: undefined, protocols: undefined });
  let resolveView: (v: ServerView) => void = () => undefined;
  const view = new Promise<ServerView>((resolve) => (resolveView = resolve));
  const tcp = createServer((socket) => {
    socket.on('error', () => undefined);
    acceptTls(socket, { context: prepared.context, contextFor: () => prepared.context, verifyClient }, {
      secure: (s) => {
        resolveView({ outcome: 'secure', authorized: s.authorized, authorizationError: s.authorizationError, code: undefined });
        s.destroy();
      },
      failed: (s, err) => {
        resolveView({ outcome: 'failed', authorized: s.authorized, authorizationError: s.authorizationError, code: err.code });
        s.destroy();
      },
    });
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const c = tls.connect({ host: '127.0.0.1', port: (tcp.address() as AddressInfo).port, ca: ca.cert, servername: 'localhost', ...(client ? { cert: client.cert, key: client.key } : {}) });
  c.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      view,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out waiting for the server side of the handshake')), 5000))),
    ]);
  } finally {
    clearTimeout(timer);
    c.destroy();
    tcp.close();
  }
}

test('a verified client certificate is authorized, as tls.Server would say', async () => {
  assert.deepEqual(await serverView('required', testPki().client), { outcome: 'secure', authorized: true, authorizationError: null, code: undefined });
});

test('a certificate that fails verification completes the handshake with the reason read back', async () => {
  const view = await serverView('required', testPki().expiredClient);
  assert.equal(view.outcome, 'secure');
  assert.equal(view.authorized, false);
  assert.equal(view.authorizationError, 'CERT_HAS_EXPIRED');
  assert.equal((await serverView('optional', testPki().untrustedClient)).authorized, false);
});

test('no certificate: required fails the handshake in OpenSSL, optional lets it through unauthorized', async () => {
  assert.deepEqual(await serverView('required', undefined), { outcome: 'failed', authorized: false, authorizationError: null, code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' });
  const optional = await serverView('optional', undefined);
  assert.equal(optional.outcome, 'secure');
  assert.equal(optional.authorized, false);
});

/**
 * Store contents made from the test PKI, and a real TLS handshake on port 0 that reports both sides' view.
 * TEST FIXTURES ONLY.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { KeyEntry, StoreContents } from '../../src/keystore/types.js';
import type { ServerTlsSettings } from '../../src/tls/server.js';
import { testPki } from './pki.js';
import type { KeyObject, X509Certificate } from 'node:crypto';
import { WAIT_MS, event, withDeadline } from './deadline.js';

/** What the helpers need of a test certificate: RSA ones from pki.ts and EC ones from ec-cert.ts both fit. */
export interface TestCert {
  readonly x509: X509Certificate;
  readonly keyObject: KeyObject;
}

/** A key entry for `leaf`, its chain being `leaf` then `issuers`. */
export function keyEntry(alias: string, leaf: TestCert, ...issuers: TestCert[]): KeyEntry {
  return { alias, privateKey: leaf.keyObject, chain: [leaf.x509, ...issuers.map((i) => i.x509)] };
}

export function keyStore(...keys: KeyEntry[]): StoreContents {
  return { format: 'PEM', keys, trusted: [], secrets: [], warnings: [] };
}

export function trustStore(...certs: TestCert[]): StoreContents {
  return {
    format: 'PEM',
    keys: [],
    trusted: certs.map((c, i) => ({ alias: `trusted-${i}`, certificate: c.x509 })),
    secrets: [],
    warnings: [],
  };
}

export interface HandshakeResult<T> {
  /** What `inspect` returned for the server-side socket, when the handshake completed. */
  readonly server: T | undefined;
  /** The connected client socket's view, when the handshake completed. */
  readonly client:
    | { readonly protocol: string | null; readonly cipher: tls.CipherNameAndProtocol; readonly peer: tls.PeerCertificate }
    | undefined;
  readonly clientError: (Error & { code?: string }) | undefined;
}

/**
 * Starts `tls.createServer(serverOptions)` on 127.0.0.1:0, connects once with `clientOptions`, and closes everything.
 * `inspect` runs on the server socket once its handshake is complete.
 */
export async function handshake<T>(
  serverOptions: tls.TlsOptions,
  clientOptions: tls.ConnectionOptions,
  inspect: (socket: tls.TLSSocket) => T,
): Promise<HandshakeResult<T>> {
  const server = tls.createServer(serverOptions);
  // Only TLS sockets are destroyed here: destroying the raw socket under a live TLSSocket crashes Node 20.
  const serverSockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (s: tls.TLSSocket) => serverSockets.add(s));
  server.on('tlsClientError', (_e: Error, s: tls.TLSSocket) => serverSockets.add(s));
  const serverSide = new Promise<T>((resolve) => {
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      socket.on('error', () => undefined);
      resolve(inspect(socket));
    });
  });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'the TLS server to listen');
  const { port } = server.address() as AddressInfo;
  const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions });
  try {
    const settled = new Promise<{ ok: true } | { ok: false; error: Error }>((resolve) => {
      socket.once('secureConnect', () => resolve({ ok: true }));
      socket.once('error', (error) => resolve({ ok: false, error }));
    });
    const outcome = await withDeadline(settled, WAIT_MS, 'the TLS client to finish its handshake or fail');
    if (!outcome.ok) return { server: undefined, client: undefined, clientError: outcome.error };
    socket.on('error', () => undefined);
    const client = { protocol: socket.getProtocol(), cipher: socket.getCipher(), peer: socket.getPeerCertificate() };
    return { server: await withDeadline(serverSide, WAIT_MS, "the TLS server's secureConnection"), client, clientError: undefined };
  } finally {
    socket.destroy();
    for (const s of serverSockets) s.destroy();
    server.close();
    await event(server, 'close', 'the TLS server to close');
  }
}

/** ServerTlsSettings for the test PKI's `localhost` certificate, verify-client none and the defaults, with overrides. */
export function serverTlsSettings(overrides: Partial<ServerTlsSettings> = {}): ServerTlsSettings {
  const { server, ca } = testPki();
  return {
    keystore: keyStore(keyEntry('localhost', server, ca)),
    truststore: undefined,
    hostnames: ['localhost'],
    verifyClient: 'none',
    ciphers: undefined,
    protocols: undefined,
    ...overrides,
  };
}

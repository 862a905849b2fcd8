/**
 * A development PKI so the default configuration runs on a fresh clone: a CA, a server certificate for localhost
 * and a client certificate, written as PEM files. Made on `npm ci` and on first use, never committed. Not for
 * production: anyone with the directory holds the CA key.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue, type KeyType } from './issue.js';

export const DEV_PKI_FILES = {
  ca: 'ca.pem',
  caKey: 'ca.key',
  server: 'server.pem',
  clientCert: 'client.pem',
  clientKey: 'client.key',
} as const;

export interface DevPkiResult {
  readonly dir: string;
  /** False when every file was already there (nothing is overwritten). */
  readonly created: boolean;
  /** The type of the CA's key: the one asked for when created, else the one found (undefined: unreadable). */
  readonly keyType: string | undefined;
}

function caKeyType(dir: string): string | undefined {
  try {
    return new X509Certificate(readFileSync(join(dir, DEV_PKI_FILES.ca))).publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}

export function ensureDevPki(dir: string, hostnames: readonly string[] = ['localhost'], keyType: KeyType = 'rsa'): DevPkiResult {
  const paths = Object.values(DEV_PKI_FILES).map((f) => join(dir, f));
  if (paths.every((p) => existsSync(p))) return { dir, created: false, keyType: caKeyType(dir) };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A name of its own: a client from another clone's development CA is refused as "not in the truststore", which
  // would be puzzling if both CAs had the same name.
  const ca = issue({ subject: { CN: `Gateway Development CA ${randomBytes(4).toString('hex')}`, O: 'Development' }, isCA: true, notAfterDays: 3650, keyType });
  const sans = [...hostnames.map((h) => `DNS:${h}`), 'IP:127.0.0.1', 'IP:::1'];
  // 397 days in all (from a day ago): the longest validity browsers accept for a server certificate.
  const server = issue({ subject: { CN: hostnames[0] ?? 'localhost', O: 'Development' }, sans, issuer: ca, usage: 'server', notAfterDays: 396, keyType });
  const client = issue({ subject: { CN: 'dev-client', OU: 'devices', O: 'Development' }, issuer: ca, usage: 'client', notAfterDays: 396, keyType });
  const write = (name: string, text: string, secret: boolean) =>
    writeFileSync(join(dir, name), text, { mode: secret ? 0o600 : 0o644 });
  write(DEV_PKI_FILES.ca, ca.cert, false);
  write(DEV_PKI_FILES.caKey, ca.key, true);
  // The keystore: the server's key, its certificate and the CA, in one PEM file.
  write(DEV_PKI_FILES.server, server.key + server.cert + ca.cert, true);
  write(DEV_PKI_FILES.clientCert, client.cert + ca.cert, false);
  write(DEV_PKI_FILES.clientKey, client.key, true);
  return { dir, created: true, keyType };
}

/**
 * A development PKI so the default configuration runs on a fresh clone: a CA, a server certificate for localhost
 * and a client certificate, written as PEM files. Made on `npm ci` and on first use, never committed. Not for
 * production: anyone with the directory holds the CA key.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { fileErrorReason, GatewayError } from '../errors.js';
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
  /** The type of the CA's key: the one asked for when created, else the one found. */
  readonly keyType: string | undefined;
}

/** What the PKI already in `dir` cannot do without, or undefined when it is whole. */
function unusable(dir: string, missing: readonly string[]): string | undefined {
  if (missing.length > 0) return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`;
  const bad: string[] = [];
  try {
    new X509Certificate(readFileSync(join(dir, DEV_PKI_FILES.ca)));
  } catch {
    bad.push(`${DEV_PKI_FILES.ca} is not a certificate`);
  }
  try {
    createPrivateKey(readFileSync(join(dir, DEV_PKI_FILES.caKey)));
  } catch {
    bad.push(`${DEV_PKI_FILES.caKey} is not a private key`);
  }
  return bad.length > 0 ? bad.join(', ') : undefined;
}

function caKeyType(dir: string): string | undefined {
  return new X509Certificate(readFileSync(join(dir, DEV_PKI_FILES.ca))).publicKey.asymmetricKeyType;
}

function writeError(label: string, e: unknown): GatewayError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way where a folder is needed' : code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'no space left on the device' : fileErrorReason(e);
  return new GatewayError('GW_ERR_FILE_WRITE', `${label}: cannot write the development PKI there: ${why}`, { cause: e });
}

/** The subject alternative name for a host: an address as IP (a TLS client never matches an address to a DNS name). */
function san(host: string): string {
  return isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`;
}

/**
 * Makes the PKI in `dir` unless one is there. One that is there but incomplete or unreadable is refused rather than
 * replaced: a new CA would leave every certificate issued by the old one untrusted. `label` is how errors name the
 * folder (by default its path in quotes; `--dir DIR` for the command).
 */
export function ensureDevPki(dir: string, hostnames: readonly string[] = ['localhost'], keyType: KeyType = 'rsa', label = `"${dir}"`): DevPkiResult {
  const names = Object.values(DEV_PKI_FILES);
  const missing = names.filter((f) => !existsSync(join(dir, f)));
  if (missing.length < names.length) {
    const problem = unusable(dir, missing);
    if (problem !== undefined) {
      throw new GatewayError('GW_ERR_FILE_READ', `${label} holds part of a development PKI, which is kept: ${problem}`, {
        hint: 'restore the files, or remove the folder to make a new PKI (certificates issued by its CA are then no longer trusted)',
      });
    }
    return { dir, created: false, keyType: caKeyType(dir) };
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw writeError(label, e);
  }
  // A name of its own: a client from another clone's development CA is refused as "not in the truststore", which
  // would be puzzling if both CAs had the same name.
  const ca = issue({ subject: { CN: `Gateway Development CA ${randomBytes(4).toString('hex')}`, O: 'Development' }, isCA: true, notAfterDays: 3650, keyType });
  const sans = [...new Set([...hostnames.map(san), 'IP:127.0.0.1', 'IP:::1'])];
  // 397 days in all (from a day ago): the longest validity browsers accept for a server certificate.
  const server = issue({ subject: { CN: hostnames[0] ?? 'localhost', O: 'Development' }, sans, issuer: ca, usage: 'server', notAfterDays: 396, keyType });
  const client = issue({ subject: { CN: 'dev-client', OU: 'devices', O: 'Development' }, issuer: ca, usage: 'client', notAfterDays: 396, keyType });
  const write = (name: string, text: string, secret: boolean): void => {
    try {
      writeFileSync(join(dir, name), text, { mode: secret ? 0o600 : 0o644 });
    } catch (e) {
      throw writeError(label, e);
    }
  };
  write(DEV_PKI_FILES.ca, ca.cert, false);
  write(DEV_PKI_FILES.caKey, ca.key, true);
  // The keystore: the server's key, its certificate and the CA, in one PEM file.
  write(DEV_PKI_FILES.server, server.key + server.cert + ca.cert, true);
  write(DEV_PKI_FILES.clientCert, client.cert + ca.cert, false);
  write(DEV_PKI_FILES.clientKey, client.key, true);
  return { dir, created: true, keyType };
}

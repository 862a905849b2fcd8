/**
 * Reads the `keytool -list -v` / `keytool -printcert -v` listings that test/fixtures/stores/make-stores.sh saved
 * beside each store, so tests compare the decoder with keytool's own view of the same file.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

export interface KeytoolCert {
  readonly owner: string;
  readonly issuer: string;
  readonly serial: string;
  readonly sha256: string;
}

export interface KeytoolEntry {
  readonly alias: string;
  readonly type: 'PrivateKeyEntry' | 'trustedCertEntry' | 'SecretKeyEntry';
  readonly certs: readonly KeytoolCert[];
}

export function storePath(name: string): string {
  return repoPath('test/fixtures/stores', name);
}

export function storeBytes(name: string): Buffer {
  return readFileSync(storePath(name));
}

function certsIn(text: string): KeytoolCert[] {
  const out: KeytoolCert[] = [];
  const re = /^Owner: (.*)\nIssuer: (.*)\nSerial number: (.*)\n[\s\S]*?SHA256: ([0-9A-F:]+)/gm;
  for (const m of text.matchAll(re)) out.push({ owner: m[1]!, issuer: m[2]!, serial: m[3]!, sha256: m[4]! });
  return out;
}

/** Entries of a `keytool -list -v` listing, in keytool's order. */
export function keytoolEntries(store: string): KeytoolEntry[] {
  const text = readFileSync(storePath(`${store}.keytool.txt`), 'utf8');
  const chunks = text.split(/^Alias name: /m).slice(1);
  return chunks.map((chunk) => {
    const alias = chunk.slice(0, chunk.indexOf('\n'));
    const type = /^Entry type: (\w+)/m.exec(chunk)?.[1] as KeytoolEntry['type'];
    return { alias, type, certs: certsIn(chunk) };
  });
}

/** Certificates of a `keytool -printcert -v` listing, in file order. */
export function keytoolCerts(pemFile: string): KeytoolCert[] {
  return certsIn(readFileSync(storePath(`${pemFile}.keytool.txt`), 'utf8'));
}

export function keytoolEntryCount(store: string): number {
  const m = /Your keystore contains (\d+) entr/.exec(readFileSync(storePath(`${store}.keytool.txt`), 'utf8'));
  return Number(m?.[1]);
}

/**
 * PEM files as stores: any mix of certificates and private keys (PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`,
 * PKCS#8 `PRIVATE KEY`, and the encrypted forms: `ENCRYPTED PRIVATE KEY` and OpenSSL's `Proc-Type: 4,ENCRYPTED`).
 * Each key is paired with the certificate holding its public key and that certificate's issuers from the file;
 * certificates that are in no key's chain are the trusted ones. Aliases are positional (`key-1`, `cert-1`), since
 * PEM has no names.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { buildChain } from './chain.js';
import { corrupt, reason, storeError } from './fail.js';
import type { KeyEntry, StoreContents, TrustedEntry } from './types.js';

/** Read at a BEGIN's position only (sticky), so a file of BEGIN lines costs linear time, not a scan per line. */
const BEGIN_LINE = /-----BEGIN ([A-Z0-9 ]{1,64})-----/y;
const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
/** Blocks that commonly sit beside keys and certificates and carry nothing a store needs. */
const IGNORED_LABELS = new Set(['EC PARAMETERS', 'PUBLIC KEY', 'X509 CRL', 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

function pemError(fileName: string, detail: string, cause?: unknown, hint?: string) {
  return storeError('GW_ERR_STORE_PEM', fileName, detail, cause, hint);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The file's PEM blocks, each from its BEGIN line to the END line with the same label. A BEGIN whose END is
 * missing, or comes only after another BEGIN, is a truncated file (a copy cut short, or a bundle pasted together
 * without an END line): silently skipping that block would drop a CA or a key.
 */
function blocks(text: string, fileName: string): { label: string; block: string }[] {
  const out: { label: string; block: string }[] = [];
  let begin = text.indexOf('-----BEGIN ');
  while (begin !== -1) {
    BEGIN_LINE.lastIndex = begin;
    const m = BEGIN_LINE.exec(text);
    const next = text.indexOf('-----BEGIN ', begin + 1);
    if (m === null) {
      // Not a boundary (a lower-case or over-long label): not a block, as before.
      begin = next;
      continue;
    }
    const label = m[1]!;
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, BEGIN_LINE.lastIndex);
    if (end === -1 || (next !== -1 && next < end)) {
      throw corrupt(fileName, `the PEM block "-----BEGIN ${label}-----" at line ${lineOf(text, begin)} has no "${endLine}" line`
        + (end === -1 ? '' : ` before the next BEGIN line (line ${lineOf(text, next)})`));
    }
    out.push({ label, block: text.slice(begin, end + endLine.length) });
    begin = next;
  }
  return out;
}

function readKey(block: string, label: string, n: number, password: string | undefined, fileName: string): KeyObject {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block);
  if (encrypted && password === undefined) {
    throw pemError(fileName, `private key ${n} is encrypted and no password was given`, undefined, 'give the key\'s password as the store password');
  }
  try {
    return createPrivateKey({ key: block, format: 'pem', ...(encrypted ? { passphrase: password } : {}) });
  } catch (e) {
    if (encrypted) throw pemError(fileName, `private key ${n} does not decrypt with the password given`, e);
    throw pemError(fileName, `private key ${n} (${label}) cannot be read: ${reason(e)}`, e);
  }
}

export function readPem(bytes: Uint8Array, password: string | undefined, fileName: string): StoreContents {
  const text = Buffer.from(bytes).toString('latin1');
  const certs: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  const warnings: string[] = [];
  for (const { label, block } of blocks(text, fileName)) {
    if (CERT_LABELS.has(label)) {
      try {
        certs.push(new X509Certificate(block));
      } catch (e) {
        throw pemError(fileName, `certificate ${certs.length + 1} cannot be parsed: ${reason(e)}`, e);
      }
    } else if (KEY_LABELS.has(label)) {
      keys.push(readKey(block, label, keys.length + 1, password, fileName));
    } else if (IGNORED_LABELS.has(label)) {
      warnings.push(`a ${label} block in "${fileName}" was ignored`);
    } else {
      throw storeError('GW_ERR_STORE_UNSUPPORTED', fileName, `holds a "${label}" PEM block, which is not a certificate or private key`);
    }
  }
  if (certs.length === 0 && keys.length === 0) {
    throw pemError(fileName, 'holds no PEM certificate or private key', undefined, 'a PEM store is text with -----BEGIN CERTIFICATE----- blocks');
  }

  const keyEntries: KeyEntry[] = [];
  const inChains = new Set<X509Certificate>();
  keys.forEach((privateKey, i) => {
    const leaf = certs.find((c) => c.checkPrivateKey(privateKey));
    if (!leaf) {
      throw pemError(fileName, `private key ${i + 1} has no matching certificate in the file`, undefined,
        'put the certificate (and its issuers) in the same file as the key');
    }
    const chain = buildChain(leaf, certs);
    for (const c of chain) inChains.add(c);
    keyEntries.push({ alias: `key-${i + 1}`, privateKey, chain });
  });
  const trusted: TrustedEntry[] = certs
    .filter((c) => !inChains.has(c))
    .map((certificate, i) => ({ alias: `cert-${i + 1}`, certificate }));
  return { format: 'PEM', keys: keyEntries, trusted, secrets: [], warnings };
}

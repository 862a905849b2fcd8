/**
 * The container shared by JKS and JCEKS (sun.security.provider.JavaKeyStore, com.sun.crypto.provider.JceKeyStore):
 * a big-endian header, the entries, and a SHA-1 integrity trailer keyed by the store password. The structure is
 * walked first (so a truncated file is reported as damaged, not as a wrong password), then the trailer is checked
 * before any key is touched, then the keys are unprotected.
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { corrupt, reason, storeError } from './fail.js';
import { unprotectKey } from './jks-keys.js';
import { skipSerializedObject } from './java-serial.js';
import { ByteReader } from './reader.js';
import type { KeyEntry, LockedKeyEntry, SecretEntry, StoreContents, TrustedEntry } from './types.js';

export const JKS_MAGIC = 0xfeedfeed;
export const JCEKS_MAGIC = 0xcececece;

const TAG_PRIVATE_KEY = 1;
const TAG_TRUSTED_CERT = 2;
const TAG_SECRET_KEY = 3;
const DIGEST_LENGTH = 20;

interface RawKey {
  readonly alias: string;
  readonly protectedKey: Uint8Array;
  readonly chain: readonly Uint8Array[];
}

interface RawStore {
  readonly format: 'JKS' | 'JCEKS';
  readonly keys: RawKey[];
  readonly trusted: { alias: string; der: Uint8Array }[];
  readonly secrets: SecretEntry[];
  /** Bytes the trailer's digest covers. */
  readonly signed: Uint8Array;
  readonly trailer: Uint8Array;
}

function readCertificate(r: ByteReader, version: number, alias: string): Uint8Array {
  if (version === 2) {
    const type = r.utf(`certificate type of "${alias}"`);
    if (type !== 'X.509') {
      throw storeError('GW_ERR_STORE_UNSUPPORTED', r.fileName, `entry "${alias}" holds a ${type} certificate; only X.509 is read`);
    }
  }
  const len = r.u32(`certificate length of "${alias}"`);
  return r.take(len, `certificate of "${alias}"`);
}

function parseContainer(bytes: Uint8Array, fileName: string): RawStore {
  const r = new ByteReader(bytes, fileName, 'JKS/JCEKS store');
  const magic = r.u32('magic');
  if (magic !== JKS_MAGIC && magic !== JCEKS_MAGIC) {
    throw storeError('GW_ERR_STORE_FORMAT', fileName, 'is not a JKS or JCEKS store (wrong magic number)');
  }
  const format = magic === JKS_MAGIC ? 'JKS' : 'JCEKS';
  const version = r.u32('version');
  if (version !== 1 && version !== 2) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', fileName, `${format} version ${version} is not read (only 1 and 2 exist)`);
  }
  const count = r.u32('entry count');
  const store: RawStore = { format, keys: [], trusted: [], secrets: [], signed: bytes, trailer: bytes };
  for (let i = 0; i < count; i++) {
    const tag = r.u32(`tag of entry ${i + 1}`);
    const alias = r.utf(`alias of entry ${i + 1}`);
    r.u64(`creation date of "${alias}"`);
    if (tag === TAG_PRIVATE_KEY) {
      const protectedKey = r.take(r.u32(`key length of "${alias}"`), `key of "${alias}"`);
      const n = r.u32(`chain length of "${alias}"`);
      const chain: Uint8Array[] = [];
      for (let c = 0; c < n; c++) chain.push(readCertificate(r, version, alias));
      store.keys.push({ alias, protectedKey, chain });
    } else if (tag === TAG_TRUSTED_CERT) {
      store.trusted.push({ alias, der: readCertificate(r, version, alias) });
    } else if (tag === TAG_SECRET_KEY && format === 'JCEKS') {
      skipSerializedObject(r, alias);
      store.secrets.push({ alias, algorithm: undefined });
    } else {
      throw corrupt(fileName, `entry ${i + 1} ("${alias}") has unknown kind ${tag}`);
    }
  }
  if (r.remaining !== DIGEST_LENGTH) {
    throw corrupt(fileName, `${r.remaining} bytes follow the last entry where the 20-byte integrity check belongs`);
  }
  return { ...store, signed: bytes.subarray(0, r.offset), trailer: bytes.subarray(r.offset) };
}

/** SHA-1 over the password (Java chars, big-endian), the phrase "Mighty Aphrodite", and the store's bytes. */
function integrityDigest(password: string, signed: Uint8Array): Buffer {
  return createHash('sha1')
    .update(Buffer.from(password, 'utf16le').swap16())
    .update('Mighty Aphrodite', 'latin1')
    .update(signed)
    .digest();
}

function toCertificate(der: Uint8Array, fileName: string, alias: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw corrupt(fileName, `the certificate of entry "${alias}" cannot be parsed: ${reason(e)}`, e);
  }
}

export function readJavaKeyStore(bytes: Uint8Array, password: string | undefined, fileName: string): StoreContents {
  const raw = parseContainer(bytes, fileName);
  const warnings: string[] = [];
  if (password === undefined) {
    warnings.push(`${raw.format} store "${fileName}" was read without its integrity check because no password was given`);
  } else if (!timingSafeEqual(integrityDigest(password, raw.signed), raw.trailer)) {
    throw storeError('GW_ERR_STORE_PASSWORD', fileName,
      `wrong password for this ${raw.format} store (its integrity check failed; if the password is right, the file was modified)`);
  }
  const trusted: TrustedEntry[] = raw.trusted.map((t) => ({ alias: t.alias, certificate: toCertificate(t.der, fileName, t.alias) }));
  const keys: KeyEntry[] = [];
  const lockedKeys: LockedKeyEntry[] = [];
  for (const k of raw.keys) {
    if (k.chain.length === 0) throw corrupt(fileName, `key entry "${k.alias}" has no certificate`);
    const chain = k.chain.map((der) => toCertificate(der, fileName, k.alias));
    // The container stores certificate chains in the clear, as keytool -list shows without a password.
    if (password === undefined) lockedKeys.push({ alias: k.alias, chain });
    else keys.push({ alias: k.alias, privateKey: unprotectKey(k.protectedKey, password, fileName, k.alias), chain });
  }
  if (password === undefined && raw.keys.length > 0) {
    warnings.push(`the private keys of ${raw.keys.map((k) => `"${k.alias}"`).join(', ')} were not read: they need the store password`);
  }
  return { format: raw.format, keys, trusted, secrets: raw.secrets, lockedKeys, warnings };
}

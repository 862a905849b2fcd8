/**
 * What the JKS, JCEKS and PKCS12 readers share once a key entry is decrypted: telling a wrong password from a key
 * Node cannot load, the key-password error, and Java's ceiling on PBE iteration counts.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readChildren, readTlv, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE } from './der.js';
import { reason, storeError } from './fail.js';

/**
 * Java's ceiling on the PBE and MAC iteration counts it reads (PKCS12KeyStore MAX_ITERATION_COUNT, and
 * jdk.jceks.iterationCount's cap). Counts are checked before any derivation: a file asking for 2^31 rounds would
 * otherwise hold a load or a reload for hours.
 */
export const MAX_PBE_ITERATIONS = 5_000_000;

/** Whether `bytes` is exactly one DER PrivateKeyInfo (RFC 5208): version 0 or 1, an algorithm OID, the key. */
export function isPrivateKeyInfo(bytes: Uint8Array): boolean {
  try {
    const outer = readTlv(bytes, 0, '', '');
    if (outer.tag !== TAG_SEQUENCE || outer.end !== bytes.length) return false;
    const [version, algorithm, key] = readChildren(outer.value, '', '');
    if (!version || version.tag !== TAG_INTEGER || version.value.length !== 1 || version.value[0]! > 1) return false;
    if (!algorithm || algorithm.tag !== TAG_SEQUENCE || readChildren(algorithm.value, '', '')[0]?.tag !== TAG_OID) return false;
    return key !== undefined && key.tag === TAG_OCTET_STRING;
  } catch {
    return false;
  }
}

/**
 * The KeyObject of a decrypted key entry. CBC padding checks by chance about once in 256 wrong passwords, so
 * plaintext that is no PrivateKeyInfo is usually a wrong password, which only the caller can name (store or key
 * password); a well-formed one Node cannot load is a key type this gateway does not read.
 */
export function loadPrivateKey(pkcs8: Uint8Array, fileName: string, alias: string, notPrivateKeyInfo: () => Error): KeyObject {
  if (!isPrivateKeyInfo(pkcs8)) throw notPrivateKeyInfo();
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', fileName, `the private key of entry "${alias}" cannot be read: ${reason(e)}`, e);
  }
}

/** A key entry sealed with a password other than the store's, which the store's integrity check proved right. */
export function keyPasswordError(fileName: string, alias: string, cause: unknown, hint: string) {
  return storeError('GW_ERR_STORE_KEY_PASSWORD', fileName,
    `key entry "${alias}" does not open with the store password: its key password differs`, cause, hint);
}

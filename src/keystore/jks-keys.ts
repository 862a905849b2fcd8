/**
 * Unprotecting the private keys of JKS and JCEKS key entries. The entry holds an EncryptedPrivateKeyInfo whose
 * algorithm says which of Sun's two schemes protects it:
 * - JCEKS, PBEWithMD5AndTripleDES (1.3.6.1.4.1.42.2.19.1): MD5-chain key derivation, then 3DES-CBC.
 * - JKS, Sun's proprietary SHA-1 XOR stream (1.3.6.1.4.1.42.2.17.1.1): salt(20) ‖ ciphertext ‖ check(20).
 * The plaintext in both cases is a PKCS#8 PrivateKeyInfo.
 */
import { createDecipheriv, createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeOid, decodeSmallInt, readChildren, readTlv, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE } from './der.js';
import { corrupt, storeError } from './fail.js';
import { md5Chain } from './md5.js';
import { keyPasswordError as keyPasswordErrorOf, loadPrivateKey, MAX_PBE_ITERATIONS } from './pkcs8.js';

export const OID_JCEKS_KEY_PROTECTOR = '1.3.6.1.4.1.42.2.19.1';
export const OID_JKS_KEY_PROTECTOR = '1.3.6.1.4.1.42.2.17.1.1';

export interface EncryptedKeyInfo {
  readonly algorithm: string;
  /** DER content of the algorithm parameters (absent for NULL or none). */
  readonly parameters: Uint8Array | undefined;
  readonly encrypted: Uint8Array;
}

export function parseEncryptedPrivateKeyInfo(der: Uint8Array, fileName: string, alias: string): EncryptedKeyInfo {
  const what = `key entry "${alias}"`;
  const outer = readTlv(der, 0, fileName, what);
  if (outer.tag !== TAG_SEQUENCE) throw corrupt(fileName, `${what}: not an EncryptedPrivateKeyInfo`);
  const [algId, data] = readChildren(outer.value, fileName, what);
  if (!algId || algId.tag !== TAG_SEQUENCE || !data || data.tag !== TAG_OCTET_STRING) {
    throw corrupt(fileName, `${what}: not an EncryptedPrivateKeyInfo`);
  }
  const [oid, params] = readChildren(algId.value, fileName, what);
  if (!oid || oid.tag !== TAG_OID) throw corrupt(fileName, `${what}: the protection algorithm is missing`);
  return {
    algorithm: decodeOid(oid.value),
    parameters: params && params.tag === TAG_SEQUENCE ? params.value : undefined,
    encrypted: data.value,
  };
}

/** Java's PBEKey takes the low byte of each (printable ASCII) password character. */
function asciiPassword(password: string, fileName: string, alias: string): Buffer {
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw storeError('GW_ERR_STORE_KEY_PASSWORD', fileName,
        `key entry "${alias}" cannot be protected by this password: JCEKS key passwords are printable ASCII only`);
    }
  }
  return Buffer.from(password, 'latin1');
}

/** The 24-byte 3DES key and 8-byte IV of PBEWithMD5AndTripleDES (SunJCE PBES1Core.deriveCipherKey). */
export function deriveJceksKey(password: Uint8Array, salt: Uint8Array, iterations: number): { key: Buffer; iv: Buffer } {
  const s = Uint8Array.from(salt);
  const half = s.length / 2;
  // Java's quirk: when both halves are equal, the first half is reversed so the two chains differ.
  let same = true;
  for (let i = 0; i < half; i++) if (s[i] !== s[i + half]) same = false;
  if (same) s.subarray(0, half).reverse();
  const out = Buffer.alloc(32);
  for (let i = 0; i < 2; i++) {
    out.set(md5Chain(s.subarray(i * half, (i + 1) * half), password, iterations), i * 16);
  }
  return { key: out.subarray(0, 24), iv: out.subarray(24, 32) };
}

function decryptJceks(info: EncryptedKeyInfo, password: string, fileName: string, alias: string): Buffer {
  const what = `key entry "${alias}"`;
  if (!info.parameters) throw corrupt(fileName, `${what}: PBE parameters are missing`);
  const [salt, count] = readChildren(info.parameters, fileName, what);
  if (!salt || salt.tag !== TAG_OCTET_STRING || !count || count.tag !== TAG_INTEGER) {
    throw corrupt(fileName, `${what}: PBE parameters are not salt and iteration count`);
  }
  if (salt.value.length !== 8) throw corrupt(fileName, `${what}: PBE salt is ${salt.value.length} bytes, not 8`);
  const iterations = decodeSmallInt(count.value);
  if (iterations < 1 || iterations > MAX_PBE_ITERATIONS || count.value.length > 4) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', fileName, `${what}: PBE iteration count ${iterations} is outside 1..${MAX_PBE_ITERATIONS}`);
  }
  if (info.encrypted.length === 0 || info.encrypted.length % 8 !== 0) {
    throw corrupt(fileName, `${what}: the encrypted key is ${info.encrypted.length} bytes, not whole 3DES blocks`);
  }
  const { key, iv } = deriveJceksKey(asciiPassword(password, fileName, alias), salt.value, iterations);
  try {
    const d = createDecipheriv('des-ede3-cbc', key, iv);
    return Buffer.concat([d.update(info.encrypted), d.final()]);
  } catch (e) {
    throw keyPasswordError(fileName, alias, e);
  }
}

function decryptJks(info: EncryptedKeyInfo, password: string, fileName: string, alias: string): Buffer {
  const enc = info.encrypted;
  if (enc.length < 41) throw corrupt(fileName, `key entry "${alias}": the protected key is only ${enc.length} bytes`);
  const pw = Buffer.from(password, 'utf16le').swap16(); // Java chars, big-endian
  const salt = enc.subarray(0, 20);
  const body = enc.subarray(20, enc.length - 20);
  const check = enc.subarray(enc.length - 20);
  const plain = Buffer.alloc(body.length);
  let digest: Uint8Array = salt;
  for (let off = 0; off < body.length; off += 20) {
    digest = createHash('sha1').update(pw).update(digest).digest();
    for (let i = 0; i < 20 && off + i < body.length; i++) plain[off + i] = body[off + i]! ^ digest[i]!;
  }
  const expect = createHash('sha1').update(pw).update(plain).digest();
  if (!timingSafeEqual(expect, check)) throw keyPasswordError(fileName, alias);
  return plain;
}

function keyPasswordError(fileName: string, alias: string, cause?: unknown) {
  return keyPasswordErrorOf(fileName, alias, cause, 'give the key the store password: keytool -keypasswd -alias ALIAS -keystore FILE');
}

/** Decrypts and parses one JKS/JCEKS key entry. Costly for JCEKS (2 × iterations MD5): call once per key. */
export function unprotectKey(der: Uint8Array, password: string, fileName: string, alias: string): KeyObject {
  const info = parseEncryptedPrivateKeyInfo(der, fileName, alias);
  let pkcs8: Buffer;
  if (info.algorithm === OID_JCEKS_KEY_PROTECTOR) pkcs8 = decryptJceks(info, password, fileName, alias);
  else if (info.algorithm === OID_JKS_KEY_PROTECTOR) pkcs8 = decryptJks(info, password, fileName, alias);
  else {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', fileName,
      `key entry "${alias}" is protected with algorithm ${info.algorithm}; only JKS's and JCEKS's own key protection is read`);
  }
  // The store's integrity check already passed. A JCEKS key has only its 3DES padding to say the key password was
  // right, which a wrong one passes about once in 256 tries; JKS's check digest has proved it.
  return loadPrivateKey(pkcs8, fileName, alias, () => info.algorithm === OID_JCEKS_KEY_PROTECTOR
    ? keyPasswordError(fileName, alias)
    : storeError('GW_ERR_STORE_UNSUPPORTED', fileName, `key entry "${alias}": the private key is not a PKCS#8 structure`));
}

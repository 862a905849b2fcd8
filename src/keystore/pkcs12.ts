/**
 * PKCS#12 (RFC 7292) key and trust stores. node-forge parses the (possibly BER) ASN.1 and supplies the ciphers
 * Node's OpenSSL 3 lacks (RC2-40 certificate bags, single DES); keys are derived with node:crypto, which is both fast
 * and exact about password encoding (PBES2 takes the password's UTF-8 bytes, the PKCS#12 KDF its BMPString). Keys
 * are handed to node:crypto as PKCS#8 so RSA and EC keys alike come out as KeyObjects; certificates keep their
 * original DER so fingerprints are exact.
 *
 * Which certificates are "trusted" follows Java where Java has a rule: a certificate bag carrying Java's trust
 * attribute (2.16.840.1.113894.746875.1.1) is a trustedCertEntry. Java ignores every other unkeyed certificate, so
 * an OpenSSL-made certificate-only file reads as empty in Java; this gateway instead treats the certificates of a
 * store that holds no key at all as trusted, and says so in a warning (see docs/keystores.md).
 */
import { createDecipheriv, pbkdf2Sync, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { isGatewayError } from '../errors.js';
import { corrupt, reason, storeError } from './fail.js';
import { buildChain } from './chain.js';
import { macHashName, pkcs12Kdf, verifyPkcs12Mac } from './pkcs12-mac.js';
import { keyPasswordError, loadPrivateKey, MAX_PBE_ITERATIONS } from './pkcs8.js';
import type { KeyEntry, SecretEntry, StoreContents, TrustedEntry } from './types.js';

const asn1 = forge.asn1;
type Node = forge.asn1.Asn1;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  javaTrust: '2.16.840.1.113894.746875.1.1',
  pbmac1: '1.2.840.113549.1.5.14',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  sha1: '1.3.14.3.2.26',
} as const;

/** A CBC cipher: by name through node:crypto, or through node-forge for those OpenSSL 3 keeps in its legacy provider. */
interface Cbc {
  readonly keyLength: number;
  readonly blockSize: number;
  readonly node?: string;
  /** A started decipher, from key and IV as binary strings. */
  readonly forge?: (key: string, iv: string) => forge.cipher.BlockCipher;
}

// forge's RC2 is missing from its type definitions, and its start() takes the IV itself rather than options.
const forgeRc2 = (bits: number) => (key: string, iv: string) => {
  const d = (forge as unknown as {
    rc2: { createDecryptionCipher(key: string, bits: number): forge.cipher.BlockCipher & { start(iv: string, output: null): void } };
  }).rc2.createDecryptionCipher(key, bits);
  d.start(iv, null);
  return d;
};

/** PBES2 encryption schemes (RFC 8018 B.2). */
const PBES2_CIPHERS: Record<string, Cbc> = {
  '2.16.840.1.101.3.4.1.2': { keyLength: 16, blockSize: 16, node: 'aes-128-cbc' },
  '2.16.840.1.101.3.4.1.22': { keyLength: 24, blockSize: 16, node: 'aes-192-cbc' },
  '2.16.840.1.101.3.4.1.42': { keyLength: 32, blockSize: 16, node: 'aes-256-cbc' },
  '1.2.840.113549.3.7': { keyLength: 24, blockSize: 8, node: 'des-ede3-cbc' },
  '1.3.14.3.2.7': { keyLength: 8, blockSize: 8, forge: (key, iv) => {
    const d = forge.cipher.createDecipher('DES-CBC', key);
    d.start({ iv });
    return d;
  } },
};

/** PBKDF2 pseudo-random functions (RFC 8018 B.1.2); hmacWithSHA1 when the parameters name none. */
const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** The PKCS#12 PBE schemes (RFC 7292 appendix C) read: what old keytool and `openssl -legacy` write. */
const PKCS12_PBE_CIPHERS: Record<string, Cbc> = {
  '1.2.840.113549.1.12.1.3': { keyLength: 24, blockSize: 8, node: 'des-ede3-cbc' }, // pbeWithSHAAnd3-KeyTripleDES-CBC
  '1.2.840.113549.1.12.1.4': { keyLength: 16, blockSize: 8, node: 'des-ede-cbc' }, // pbeWithSHAAnd2-KeyTripleDES-CBC
  '1.2.840.113549.1.12.1.5': { keyLength: 16, blockSize: 8, forge: forgeRc2(128) }, // pbeWithSHAAnd128BitRC2-CBC
  '1.2.840.113549.1.12.1.6': { keyLength: 5, blockSize: 8, forge: forgeRc2(40) }, // pbewithSHAAnd40BitRC2-CBC
};

// Registered so forge names the attribute instead of dropping it wherever it decodes bag attributes itself.
if (forge.pki.oids[OID.javaTrust] === undefined) {
  forge.pki.oids[OID.javaTrust] = 'javaTrustedKeyUsage';
  forge.pki.oids['javaTrustedKeyUsage'] = OID.javaTrust;
}

interface Bag {
  readonly type: string;
  readonly value: Node;
  readonly friendlyName: string | undefined;
  readonly localKeyId: string | undefined;
  readonly javaTrusted: boolean;
}

class Ctx {
  /** Set once the MAC has proved the password: a key that then fails to decrypt has a password of its own. */
  macVerified = false;
  constructor(readonly fileName: string, readonly password: string | undefined) {}
  bad(detail: string, cause?: unknown): Error {
    return corrupt(this.fileName, `PKCS#12: ${detail}`, cause);
  }
}

function children(n: Node | undefined, ctx: Ctx, what: string): Node[] {
  if (!n || !n.constructed || !Array.isArray(n.value)) throw ctx.bad(`${what} is not a constructed value`);
  return n.value as Node[];
}

function oidOf(n: Node | undefined, ctx: Ctx, what: string): string {
  if (!n || n.type !== asn1.Type.OID || typeof n.value !== 'string') throw ctx.bad(`${what} is not an OID`);
  return asn1.derToOid(n.value);
}

/** OCTET STRING content, joining BER's constructed form. */
function octets(n: Node | undefined, ctx: Ctx, what: string): string {
  if (!n) throw ctx.bad(`${what} is missing`);
  if (typeof n.value === 'string') return n.value;
  return (n.value as Node[]).map((c) => octets(c, ctx, what)).join('');
}

function explicit0(n: Node | undefined, ctx: Ctx, what: string): Node {
  if (!n || n.tagClass !== asn1.Class.CONTEXT_SPECIFIC || n.type !== 0) throw ctx.bad(`${what}: [0] expected`);
  const inner = children(n, ctx, what)[0];
  if (!inner) throw ctx.bad(`${what} is empty`);
  return inner;
}

function parseDer(binary: string, ctx: Ctx, what: string): Node {
  try {
    return asn1.fromDer(binary, { strict: true, parseAllBytes: true, decodeBitStrings: false, maxDepth: 64 } as never);
  } catch (e) {
    throw ctx.bad(`${what} is not valid ASN.1: ${reason(e)}`, e);
  }
}

const bin = (s: string) => Buffer.from(s, 'binary');

function verifyMac(macData: Node, authSafe: string, ctx: Ctx): void {
  const [digestInfo, salt, iterations] = children(macData, ctx, 'MacData');
  const [algId, digest] = children(digestInfo, ctx, 'MAC DigestInfo');
  const hashOid = oidOf(children(algId, ctx, 'MAC algorithm')[0], ctx, 'MAC algorithm');
  if (hashOid === OID.pbmac1 || macHashName(hashOid) === undefined) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `PKCS#12 integrity uses MAC algorithm ${hashOid}, which is not read`);
  }
  const count = iterations ? iterationCount(iterations, ctx, 'MAC') : 1;
  const ok = verifyPkcs12Mac(hashOid, ctx.password ?? '', bin(octets(salt, ctx, 'MAC salt')), count, bin(authSafe),
    bin(octets(digest, ctx, 'MAC digest')));
  if (!ok) {
    throw storeError('GW_ERR_STORE_PASSWORD', ctx.fileName,
      'wrong password for this PKCS12 store (its integrity check failed; if the password is right, the file was modified)');
  }
  ctx.macVerified = true;
}

/** An INTEGER iteration count, refused before any derivation when it is above what Java reads. */
function iterationCount(n: Node | undefined, ctx: Ctx, what: string): number {
  if (!n || n.type !== asn1.Type.INTEGER || typeof n.value !== 'string' || n.value.length === 0) {
    throw ctx.bad(`the ${what} iteration count is not an INTEGER`);
  }
  let count = 0;
  for (let i = 0; i < n.value.length; i++) count = count * 256 + n.value.charCodeAt(i);
  if (count < 1 || (n.value.charCodeAt(0) & 0x80) !== 0) throw ctx.bad(`the ${what} iteration count is not positive`);
  if (count > MAX_PBE_ITERATIONS) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName,
      `iteration count ${count} (for the ${what}) is more than the ${MAX_PBE_ITERATIONS} Java reads`, undefined,
      'make the store again with a usual iteration count (keytool and OpenSSL use 10000 or 2048)');
  }
  return count;
}

function runCbc(c: Cbc, key: Buffer, iv: Buffer, data: string, ctx: Ctx, what: string, wrongPassword: () => Error): string {
  if (data.length === 0 || data.length % c.blockSize !== 0) {
    throw ctx.bad(`${what}: the ciphertext is ${data.length} bytes, not whole cipher blocks`);
  }
  if (iv.length !== c.blockSize) throw ctx.bad(`${what}: the IV is ${iv.length} bytes, not ${c.blockSize}`);
  if (c.node !== undefined) {
    const d = createDecipheriv(c.node, key, iv);
    try {
      return Buffer.concat([d.update(bin(data)), d.final()]).toString('binary');
    } catch {
      throw wrongPassword();
    }
  }
  const d = c.forge!(key.toString('binary'), iv.toString('binary'));
  d.update(forge.util.createBuffer(data));
  if (!d.finish()) throw wrongPassword();
  return d.output.getBytes();
}

/**
 * Decrypts a PBES2 or PKCS#12 PBE protected value. `wrongPassword` is the error for padding that does not check,
 * which only the caller can name: a wrong store password, or a key with a password of its own.
 */
function decrypt(algId: Node, encrypted: string, ctx: Ctx, what: string, wrongPassword: () => Error): string {
  if (ctx.password === undefined) {
    const verb = what === 'certificates' ? 'are' : 'is';
    throw storeError('GW_ERR_STORE_PASSWORD', ctx.fileName, `the ${what} in this PKCS12 store ${verb} encrypted: it cannot be read without its password`);
  }
  const [oidNode, params] = children(algId, ctx, `${what} algorithm`);
  const oid = oidOf(oidNode, ctx, `${what} algorithm`);
  const unsupported = (detail: string) =>
    storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `the ${what}: encryption with ${detail} is not read`);
  if (oid === OID.pbes2) {
    const [kdf, scheme] = children(params, ctx, 'PBES2 parameters');
    const [kdfOid, kdfParams] = children(kdf, ctx, 'PBES2 key derivation');
    const kdfName = oidOf(kdfOid, ctx, 'PBES2 key derivation');
    if (kdfName !== OID.pbkdf2) throw unsupported(`key derivation ${kdfName}`);
    const [salt, countNode, ...rest] = children(kdfParams, ctx, 'PBKDF2 parameters');
    if (!salt || salt.type !== asn1.Type.OCTETSTRING) throw unsupported('a PBKDF2 salt that is not an OCTET STRING');
    const keyLength = rest[0]?.type === asn1.Type.INTEGER ? rest.shift() : undefined;
    const prfOid = rest[0] ? oidOf(children(rest[0], ctx, 'PBKDF2 PRF')[0], ctx, 'PBKDF2 PRF') : '1.2.840.113549.2.7';
    const prf = PBKDF2_PRFS[prfOid];
    if (prf === undefined) throw unsupported(`PBKDF2 with PRF ${prfOid}`);
    const [cipherOid, ivNode] = children(scheme, ctx, 'PBES2 encryption scheme');
    const cipherName = oidOf(cipherOid, ctx, 'PBES2 encryption scheme');
    const cipher = PBES2_CIPHERS[cipherName];
    if (cipher === undefined) throw unsupported(`PBES2 cipher ${cipherName}`);
    if (keyLength && parseInt(forge.util.bytesToHex(keyLength.value as string), 16) !== cipher.keyLength) {
      throw ctx.bad(`${what}: the PBKDF2 key length does not fit cipher ${cipherName}`);
    }
    const count = iterationCount(countNode, ctx, what);
    // RFC 8018 leaves the password's encoding to the application; OpenSSL and Java use its UTF-8 bytes.
    const key = pbkdf2Sync(Buffer.from(ctx.password, 'utf8'), bin(octets(salt, ctx, 'PBKDF2 salt')), count, cipher.keyLength, prf);
    return runCbc(cipher, key, bin(octets(ivNode, ctx, `${what} IV`)), encrypted, ctx, what, wrongPassword);
  }
  const cipher = PKCS12_PBE_CIPHERS[oid];
  if (cipher === undefined) throw unsupported(oid);
  const [salt, countNode] = children(params, ctx, 'PKCS#12 PBE parameters');
  const saltBytes = bin(octets(salt, ctx, 'PBE salt'));
  const count = iterationCount(countNode, ctx, what);
  const key = pkcs12Kdf(OID.sha1, ctx.password, saltBytes, 1, count, cipher.keyLength);
  const iv = pkcs12Kdf(OID.sha1, ctx.password, saltBytes, 2, count, cipher.blockSize);
  return runCbc(cipher, key, iv, encrypted, ctx, what, wrongPassword);
}

function readAttributes(set: Node | undefined, ctx: Ctx) {
  let friendlyName: string | undefined;
  let localKeyId: string | undefined;
  let javaTrusted = false;
  for (const attr of set ? children(set, ctx, 'bag attributes') : []) {
    const [oidNode, values] = children(attr, ctx, 'bag attribute');
    const oid = oidOf(oidNode, ctx, 'bag attribute');
    const first = values ? children(values, ctx, 'attribute values')[0] : undefined;
    if (oid === OID.friendlyName && first && typeof first.value === 'string') {
      // forge has already decoded the BMPString into a JavaScript string.
      friendlyName = first.value;
    } else if (oid === OID.localKeyId && first && typeof first.value === 'string') {
      localKeyId = forge.util.bytesToHex(first.value);
    } else if (oid === OID.javaTrust) {
      javaTrusted = true;
    }
  }
  return { friendlyName, localKeyId, javaTrusted };
}

function readSafeContents(binary: string, ctx: Ctx, out: Bag[], depth: number): void {
  for (const safeBag of children(parseDer(binary, ctx, 'SafeContents'), ctx, 'SafeContents')) {
    const [idNode, valueNode, attrs] = children(safeBag, ctx, 'SafeBag');
    const type = oidOf(idNode, ctx, 'bag type');
    const value = explicit0(valueNode, ctx, 'bag value');
    if (type === OID.safeContentsBag) {
      if (depth > 4) throw ctx.bad('SafeContents bags nest too deeply');
      readSafeContents(asn1.toDer(value).getBytes(), ctx, out, depth + 1);
      continue;
    }
    out.push({ type, value, ...readAttributes(attrs, ctx) });
  }
}

function readEncryptedSafeContents(algId: Node, encrypted: string, ctx: Ctx, out: Bag[]): void {
  // Java and OpenSSL encrypt certificates with the store password, so once the MAC has proved it, certificates that
  // do not decrypt were encrypted by some other tool with some other password.
  const wrongPassword = () => ctx.macVerified
    ? storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName,
      'the certificates are encrypted with a password other than the store password, which passes the integrity check')
    : storeError('GW_ERR_STORE_PASSWORD', ctx.fileName,
      'wrong password for this PKCS12 store: its certificates do not decrypt with it (the store has no integrity check, so a damaged file looks the same)');
  const plain = decrypt(algId, encrypted, ctx, 'certificates', wrongPassword);
  try {
    readSafeContents(plain, ctx, out, 0);
  } catch (e) {
    // Without a MAC, CBC padding alone says the password was right, and a wrong one passes it about once in 256.
    if (!ctx.macVerified && isGatewayError(e) && e.code === 'GW_ERR_STORE_CORRUPT') throw wrongPassword();
    throw e;
  }
}

function readBags(pfx: Node, ctx: Ctx): Bag[] {
  const [version, authSafe, macData] = children(pfx, ctx, 'PFX');
  if (!version || version.type !== asn1.Type.INTEGER || forge.util.bytesToHex(version.value as string) !== '03') {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, 'PKCS#12 version other than 3');
  }
  const [ctype, content] = children(authSafe, ctx, 'authSafe');
  if (oidOf(ctype, ctx, 'authSafe type') !== OID.data) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, 'PKCS#12 public-key integrity mode is not read; only password integrity');
  }
  const authSafeBytes = octets(explicit0(content, ctx, 'authSafe'), ctx, 'authSafe');
  if (macData && ctx.password !== undefined) verifyMac(macData, authSafeBytes, ctx);

  const bags: Bag[] = [];
  for (const ci of children(parseDer(authSafeBytes, ctx, 'AuthenticatedSafe'), ctx, 'AuthenticatedSafe')) {
    const [t, c] = children(ci, ctx, 'ContentInfo');
    const type = oidOf(t, ctx, 'ContentInfo type');
    if (type === OID.data) {
      readSafeContents(octets(explicit0(c, ctx, 'ContentInfo'), ctx, 'SafeContents'), ctx, bags, 0);
    } else if (type === OID.encryptedData) {
      const [, eci] = children(explicit0(c, ctx, 'EncryptedData'), ctx, 'EncryptedData');
      const [, algId, enc] = children(eci, ctx, 'EncryptedContentInfo');
      if (!algId) throw ctx.bad('EncryptedContentInfo has no algorithm');
      if (!enc) continue; // content absent: nothing stored
      readEncryptedSafeContents(algId, octets(enc, ctx, 'encrypted content'), ctx, bags);
    } else {
      throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `PKCS#12 content of type ${type} (enveloped) is not read`);
    }
  }
  return bags;
}

const PKCS12_KEY_PASSWORD_HINT = 'keytool cannot change a PKCS12 key\'s password: make the store again with one password '
  + 'for the store and its keys, with keytool -importkeystore from the original store or with openssl pkcs12 -export';

function readKey(bag: Bag, alias: string, ctx: Ctx): KeyObject {
  if (bag.type === OID.keyBag) {
    return loadPrivateKey(bin(asn1.toDer(bag.value).getBytes()), ctx.fileName, alias,
      () => ctx.bad(`key "${alias}" is not a PKCS#8 private key`));
  }
  // Without a MAC, a key that does not decrypt is all there is to say the store password is wrong.
  const wrongPassword = () => ctx.macVerified
    ? keyPasswordError(ctx.fileName, alias, undefined, PKCS12_KEY_PASSWORD_HINT)
    : storeError('GW_ERR_STORE_PASSWORD', ctx.fileName,
      `wrong password for this PKCS12 store: the key of entry "${alias}" does not decrypt with it (the store has no integrity check)`);
  const [algId, data] = children(bag.value, ctx, `key "${alias}"`);
  if (!algId) throw ctx.bad(`key "${alias}" has no algorithm`);
  const pkcs8 = bin(decrypt(algId, octets(data, ctx, `key "${alias}"`), ctx, `key of entry "${alias}"`, wrongPassword));
  return loadPrivateKey(pkcs8, ctx.fileName, alias, wrongPassword);
}

function readCert(bag: Bag, ctx: Ctx): X509Certificate {
  const [idNode, valueNode] = children(bag.value, ctx, 'CertBag');
  const certType = oidOf(idNode, ctx, 'certificate type');
  if (certType !== OID.x509Certificate) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `a certificate of type ${certType} is not read; only X.509`);
  }
  try {
    return new X509Certificate(bin(octets(explicit0(valueNode, ctx, 'CertBag'), ctx, 'certificate')));
  } catch (e) {
    throw ctx.bad(`a certificate cannot be parsed: ${reason(e)}`, e);
  }
}

export function readPkcs12(bytes: Uint8Array, password: string | undefined, fileName: string): StoreContents {
  const ctx = new Ctx(fileName, password);
  const bags = readBags(parseDer(Buffer.from(bytes).toString('binary'), ctx, 'the file'), ctx);
  const warnings: string[] = [];
  if (password === undefined) warnings.push(`PKCS12 store "${fileName}" was read without its integrity check because no password was given`);

  let unfriendly = 0;
  const aliasOf = (b: Bag) => b.friendlyName ?? String(++unfriendly);
  const certBags = bags.filter((b) => b.type === OID.certBag).map((b) => ({ bag: b, cert: readCert(b, ctx) }));
  const keyBags = bags.filter((b) => b.type === OID.keyBag || b.type === OID.shroudedKeyBag);
  const pool = certBags.map((c) => c.cert);

  const keys: KeyEntry[] = [];
  const leaves = new Set<X509Certificate>();
  for (const bag of keyBags) {
    const alias = aliasOf(bag);
    const privateKey = readKey(bag, alias, ctx);
    const leaf = certBags.find((c) => bag.localKeyId !== undefined && c.bag.localKeyId === bag.localKeyId)?.cert
      ?? pool.find((c) => c.checkPrivateKey(privateKey));
    if (!leaf) throw storeError('GW_ERR_STORE_CORRUPT', fileName, `key entry "${alias}" has no certificate in the PKCS12 store`);
    leaves.add(leaf);
    keys.push({ alias, privateKey, chain: buildChain(leaf, pool) });
  }

  const trusted: TrustedEntry[] = [];
  const unmarked: X509Certificate[] = [];
  for (const { bag, cert } of certBags) {
    if (bag.javaTrusted) trusted.push({ alias: aliasOf(bag), certificate: cert });
    else if (keyBags.length === 0 && bag.localKeyId === undefined) unmarked.push(cert);
  }
  if (unmarked.length > 0) {
    let n = 0;
    for (const cert of unmarked) trusted.push({ alias: `cert-${++n}`, certificate: cert });
    warnings.push(`${unmarked.length} certificate(s) in "${fileName}" lack Java's trust attribute; as the store holds no keys, ` +
      'they are trusted (Java would list this store as empty)');
  }

  const secrets: SecretEntry[] = bags.filter((b) => b.type === OID.secretBag).map((b) => ({ alias: aliasOf(b), algorithm: undefined }));
  const skipped = bags.filter((b) => b.type === OID.crlBag).length;
  if (skipped > 0) warnings.push(`${skipped} CRL bag(s) in "${fileName}" were ignored`);
  return { format: 'PKCS12', keys, trusted, secrets, warnings };
}

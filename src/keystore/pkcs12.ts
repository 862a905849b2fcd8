/**
 * PKCS#12 (RFC 7292) key and trust stores. node-forge parses the (possibly BER) ASN.1 and supplies the legacy PBE
 * ciphers Node's OpenSSL 3 lacks (RC2-40 certificate bags); keys are handed to node:crypto as PKCS#8 so RSA and
 * EC keys alike come out as KeyObjects; certificates keep their original DER so fingerprints are exact.
 *
 * Which certificates are "trusted" follows Java where Java has a rule: a certificate bag carrying Java's trust
 * attribute (2.16.840.1.113894.746875.1.1) is a trustedCertEntry. Java ignores every other unkeyed certificate, so
 * an OpenSSL-made certificate-only file reads as empty in Java; this gateway instead treats the certificates of a
 * store that holds no key at all as trusted, and says so in a warning (see docs/keystores.md).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { corrupt, reason, storeError } from './fail.js';
import { buildChain } from './chain.js';
import { macHashName, verifyPkcs12Mac } from './pkcs12-mac.js';
import type { KeyEntry, SecretEntry, StoreContents, TrustedEntry } from './types.js';

const asn1 = forge.asn1;
type Node = forge.asn1.Asn1;
// The PBE helpers are public in node-forge but missing from its type definitions.
const pbe = (forge.pki as unknown as {
  pbe: { getCipher(oid: string, params: Node, password: string): forge.cipher.BlockCipher };
}).pbe;

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
} as const;

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
  const count = iterations ? parseInt(forge.util.bytesToHex(octets(iterations, ctx, 'MAC iterations')), 16) : 1;
  if (!(count >= 1 && count <= 10_000_000)) throw ctx.bad(`MAC iteration count ${count} is out of range`);
  const ok = verifyPkcs12Mac(hashOid, ctx.password ?? '', bin(octets(salt, ctx, 'MAC salt')), count, bin(authSafe),
    bin(octets(digest, ctx, 'MAC digest')));
  if (!ok) {
    throw storeError('GW_ERR_STORE_PASSWORD', ctx.fileName,
      'wrong password for this PKCS12 store (its integrity check failed; if the password is right, the file was modified)');
  }
}

function decrypt(algId: Node, encrypted: string, ctx: Ctx, what: string): string {
  if (ctx.password === undefined) {
    throw storeError('GW_ERR_STORE_PASSWORD', ctx.fileName, `the ${what} in this PKCS12 store are encrypted: it cannot be read without its password`);
  }
  const [oidNode, params] = children(algId, ctx, `${what} algorithm`);
  const oid = oidOf(oidNode, ctx, `${what} algorithm`);
  let cipher: forge.cipher.BlockCipher;
  try {
    cipher = pbe.getCipher(oid, params as Node, ctx.password);
  } catch (e) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `the ${what} are encrypted with ${oid}, which is not read: ${reason(e)}`, e);
  }
  cipher.update(forge.util.createBuffer(encrypted));
  if (!cipher.finish()) {
    throw storeError('GW_ERR_STORE_PASSWORD', ctx.fileName, `the ${what} do not decrypt with the store password`);
  }
  return cipher.output.getBytes();
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
      readSafeContents(decrypt(algId, octets(enc, ctx, 'encrypted content'), ctx, 'certificates'), ctx, bags, 0);
    } else {
      throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `PKCS#12 content of type ${type} (enveloped) is not read`);
    }
  }
  return bags;
}

function readKey(bag: Bag, alias: string, ctx: Ctx): KeyObject {
  let pkcs8: Buffer;
  if (bag.type === OID.keyBag) {
    pkcs8 = bin(asn1.toDer(bag.value).getBytes());
  } else {
    const [algId, data] = children(bag.value, ctx, `key "${alias}"`);
    if (!algId) throw ctx.bad(`key "${alias}" has no algorithm`);
    pkcs8 = bin(decrypt(algId, octets(data, ctx, `key "${alias}"`), ctx, `key of entry "${alias}"`));
  }
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', ctx.fileName, `the private key of entry "${alias}" cannot be read: ${reason(e)}`, e);
  }
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

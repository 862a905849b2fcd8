/**
 * Certificate revocation lists for `ssl.crl`: a PEM file (one or many `X509 CRL` blocks), a DER file, or a
 * directory of them. Each CRL is read far enough to say whose it is, when it goes stale and how many certificates
 * it revokes, so that start-up can warn about what OpenSSL would otherwise only report per refused client.
 *
 * Node's secure context takes CRLs as PEM strings, one CRL each (it reads the first block of a string only), and
 * then checks the whole chain (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL): every CA of a client's chain
 * needs a current CRL from its issuer, or the client is refused with UNABLE_TO_GET_CRL.
 */
import type { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { GatewayError } from '../errors.js';
import { crlSignedBy, signedParts, type Signed } from './certificate-der.js';
import { formatDn, readCertificateNames, readName } from './x509-names.js';

type Asn1 = forge.asn1.Asn1;
const { asn1 } = forge;

export interface CrlSummary {
  /** The issuing CA, as Java prints a DN (`CN=Test Root CA, O=Acme`). */
  readonly issuer: string;
  /** ISO 8601. */
  readonly thisUpdate: string;
  /** ISO 8601; undefined when the CRL has none (OpenSSL then never considers it stale). */
  readonly nextUpdate: string | undefined;
  /** How many certificates it lists. */
  readonly revoked: number;
  /** Its cRLNumber extension (RFC 5280 §5.2.3), in decimal; undefined when it has none. */
  readonly number?: string | undefined;
  /** The file it came from. */
  readonly file: string;
}

/** What a CRL says about revocation, for judging a resumed TLS session again (tls/resumed.ts). */
export interface Revocations {
  /** DER of the issuer Name (binary string), compared with a CA certificate's subject as OpenSSL does. */
  readonly issuerDer: string;
  /** Milliseconds since the epoch. */
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  /** Serial numbers it revokes: upper-case hex without leading zeros (see serialKey). */
  readonly serials: ReadonlySet<string>;
  /** What its signature covers and is, to check it against the issuer a chain has (crlSignedBy). */
  readonly signed: Signed | undefined;
  /** The CA (name and key) whose series of CRLs it belongs to: a later one of the series replaces it. */
  readonly series: string;
  /** Its authority key identifier's keyIdentifier, in hex: which key of the CA of that name signed it; '' when absent. */
  readonly authorityKeyId: string;
  /** Its signature was checked against a CA of the truststore when it was read (checkSignatures). */
  readonly verified: boolean;
}

export interface LoadedCrls {
  /** One PEM `X509 CRL` block per CRL, for tls.createSecureContext({ crl }). */
  readonly pems: string[];
  readonly revocations: readonly Revocations[];
  readonly summary: CrlSummary[];
  /** Expired or not yet valid CRLs, and trust anchors without a CRL: each refuses that CA's clients. */
  readonly warnings: string[];
  /**
   * Not all the files say is in force: a file of the directory was skipped, or (a re-read) a CA's CRLs in force were
   * kept in place of what the files now hold for it. Said in `warnings`; counted apart (gateway_crl_reloads_total).
   */
  readonly incomplete?: boolean;
}

export interface LoadCrlOptions {
  /** The truststore's certificates: each one that has no CRL gets a warning. */
  readonly trustAnchors?: readonly X509Certificate[];
  /** For tests; default the current time. */
  readonly now?: Date;
}

interface ParsedCrl {
  readonly summary: CrlSummary;
  readonly serials: ReadonlySet<string>;
  readonly der: Buffer;
  /** DER of the issuer Name, to match against a CA certificate's subject. */
  readonly issuerDer: string;
  /** Its authority key identifier in hex, '' without one: the key of that CA (a CA renewed with a new key has two). */
  readonly authorityKeyId: string;
  /** For a delta CRL (RFC 5280 §5.2.4), the number of the base CRL it completes, in decimal; undefined otherwise. */
  readonly deltaOf: string | undefined;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function crlError(file: string, what: string, cause?: unknown, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_TLS_CRL', `ssl.crl ${file}: ${what}`, {
    cause,
    hint: hint ?? 'give a PEM (-----BEGIN X509 CRL-----) or DER CRL file, or a directory holding only such files; `openssl crl -in FILE -noout -text` shows whether a file is one',
  });
}

function children(node: Asn1 | undefined): Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function isUniversal(node: Asn1 | undefined, type: number): boolean {
  return node !== undefined && node.tagClass === asn1.Class.UNIVERSAL && (node.type as number) === type;
}

// The typings know only the boolean form; node-forge also takes options (parseAllBytes, decodeBitStrings).
const fromDer = asn1.fromDer as unknown as (bytes: forge.util.ByteBuffer, options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean }) => Asn1;

function readTime(node: Asn1 | undefined): Date | undefined {
  if (node === undefined || typeof node.value !== 'string') return undefined;
  if (isUniversal(node, asn1.Type.UTCTIME)) return asn1.utcTimeToDate(node.value);
  if (isUniversal(node, asn1.Type.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(node.value);
  return undefined;
}

/** A serial number as X509Certificate.serialNumber or a CRL gives it, in one form: upper case, no leading zeros. */
export function serialKey(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/** Parses one DER CertificateList (RFC 5280 §5.1); throws a plain Error saying what is wrong. */
function parseCrl(der: Buffer, file: string): ParsedCrl {
  let root: Asn1;
  try {
    root = fromDer(forge.util.createBuffer(der.toString('binary')), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch (e) {
    throw new Error(`not DER-encoded ASN.1 (${e instanceof Error ? e.message : String(e)})`);
  }
  const [tbs, algorithm, signature] = children(root);
  if (!isUniversal(root, asn1.Type.SEQUENCE) || !isUniversal(tbs, asn1.Type.SEQUENCE) || !isUniversal(algorithm, asn1.Type.SEQUENCE) || !isUniversal(signature, asn1.Type.BITSTRING)) {
    throw new Error('not a certificate revocation list (expected tbsCertList, signatureAlgorithm, signatureValue)');
  }
  const fields = children(tbs);
  // A certificate has the same outer shape; its explicit [0] version (or serial before the algorithm) tells it apart.
  if (fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC || isUniversal(fields[1], asn1.Type.INTEGER)) {
    throw new Error('not a certificate revocation list: it is shaped like a certificate');
  }
  let i = isUniversal(fields[0], asn1.Type.INTEGER) ? 1 : 0;
  if (!isUniversal(fields[i], asn1.Type.SEQUENCE)) throw new Error('the CRL has no signature algorithm');
  const issuer = fields[i + 1];
  if (issuer === undefined || !isUniversal(issuer, asn1.Type.SEQUENCE)) throw new Error('the CRL has no issuer name');
  const thisUpdate = readTime(fields[i + 2]);
  if (thisUpdate === undefined) throw new Error('the CRL has no thisUpdate time');
  i += 3;
  const nextUpdate = readTime(fields[i]);
  if (nextUpdate !== undefined) i++;
  const entries = isUniversal(fields[i], asn1.Type.SEQUENCE) ? children(fields[i]) : [];
  if (isUniversal(fields[i], asn1.Type.SEQUENCE)) i++;
  const number = crlNumber(fields[i]);
  const deltaOf = crlNumber(fields[i], OID_DELTA_CRL_INDICATOR);
  const akid = authorityKeyId(fields[i]);
  const revoked = entries.length;
  const serials = new Set<string>();
  for (const entry of entries) {
    const serial = children(entry)[0];
    if (isUniversal(serial, asn1.Type.INTEGER) && typeof serial?.value === 'string') serials.add(serialKey(Buffer.from(serial.value, 'binary').toString('hex')));
  }
  return {
    der,
    serials,
    issuerDer: asn1.toDer(issuer).getBytes(),
    authorityKeyId: akid,
    deltaOf,
    summary: {
      issuer: formatDn(readName(issuer)),
      thisUpdate: thisUpdate.toISOString(),
      nextUpdate: nextUpdate?.toISOString(),
      revoked,
      ...(number !== undefined ? { number } : {}),
      file,
    },
  };
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';

/** The value (an OCTET STRING's content, parsed) of the extension `oid` of a CRL's `[0] EXPLICIT Extensions`. */
function extensionValue(extensions: Asn1 | undefined, oid: string): Asn1 | undefined {
  if (extensions?.tagClass !== asn1.Class.CONTEXT_SPECIFIC || (extensions.type as number) !== 0) return undefined;
  for (const extension of children(children(extensions)[0])) {
    const [id, second, third] = children(extension);
    if (!isUniversal(id, asn1.Type.OID) || typeof id?.value !== 'string' || asn1.derToOid(forge.util.createBuffer(id.value)) !== oid) continue;
    const value = isUniversal(second, asn1.Type.OCTETSTRING) ? second : third;
    if (typeof value?.value !== 'string') return undefined;
    try {
      return fromDer(forge.util.createBuffer(value.value), { strict: true, parseAllBytes: true, decodeBitStrings: false });
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The cRLNumber (or, with OID_DELTA_CRL_INDICATOR, the base CRL's number), in decimal; undefined when there is none. */
function crlNumber(extensions: Asn1 | undefined, oid = OID_CRL_NUMBER): string | undefined {
  const integer = extensionValue(extensions, oid);
  if (!isUniversal(integer, asn1.Type.INTEGER) || typeof integer?.value !== 'string' || integer.value.length === 0) return undefined;
  return BigInt(`0x${Buffer.from(integer.value, 'binary').toString('hex')}`).toString();
}

/** The authority key identifier's keyIdentifier, in hex: which key of a CA of that name signed it; '' when absent. */
function authorityKeyId(extensions: Asn1 | undefined): string {
  const id = children(extensionValue(extensions, OID_AUTHORITY_KEY_ID)).find((c) => c.tagClass === asn1.Class.CONTEXT_SPECIFIC && (c.type as number) === 0);
  return typeof id?.value === 'string' ? Buffer.from(id.value, 'binary').toString('hex') : '';
}

/**
 * Node's secure context gives OpenSSL no delta CRL support (X509_V_FLAG_USE_DELTAS): OpenSSL would take a delta for
 * a complete CRL of its issuer, the newest one, and admit every certificate its base CRL revokes. So a delta is
 * refused, as a CRL that cannot be used is, rather than read.
 */
function refuseDelta(crl: ParsedCrl, file: string, where: string): ParsedCrl {
  if (crl.deltaOf === undefined) return crl;
  const number = crl.summary.number !== undefined ? ` number ${crl.summary.number}` : '';
  throw crlError(
    file,
    `${where}is a delta CRL${number} of "${crl.summary.issuer}" (it completes base CRL number ${crl.deltaOf}): delta CRLs are not supported, and OpenSSL would take it for the whole list, admitting every certificate the base CRL revokes`,
    undefined,
    'give complete CRLs only: leave delta CRLs out of the file or directory (on Active Directory Certificate Services, stop publishing delta CRLs, or copy only the base CRLs here); `openssl crl -in FILE -noout -text` shows "Delta CRL Indicator" on a delta',
  );
}

/** The CRLs of one file: every `X509 CRL` block of a PEM file, or the file as DER. */
function readCrlFile(file: string): ParsedCrl[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw crlError(file, `cannot be read: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0 && text.includes('-----BEGIN ')) throw crlError(file, 'holds an unterminated PEM block');
  if (blocks.length === 0) {
    let crl: ParsedCrl;
    try {
      crl = parseCrl(bytes, file);
    } catch (e) {
      throw crlError(file, `is neither PEM nor a DER CRL: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    return [refuseDelta(crl, file, '')];
  }
  const crls = blocks.filter((b) => b[1] === 'X509 CRL');
  if (crls.length === 0) {
    const kinds = [...new Set(blocks.map((b) => b[1]))].join(', ');
    throw crlError(file, `holds no X509 CRL block (found ${kinds})`);
  }
  return crls.map((block, n) => {
    const body = (block[2] as string).replace(/\s+/g, '');
    let crl: ParsedCrl;
    try {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('its base64 text is damaged');
      crl = parseCrl(Buffer.from(body, 'base64'), file);
    } catch (e) {
      throw crlError(file, `CRL block ${n + 1}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    return refuseDelta(crl, file, crls.length > 1 ? `CRL block ${n + 1} ` : '');
  });
}

/** The files a directory contributes: regular files (or links to them), dotfiles skipped, sorted by name. */
function listDirectory(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw crlError(dir, `cannot be read: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return names
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false; // a dangling link: nothing to read
      }
    });
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
}

/** DER of a certificate's subject Name, compared byte for byte with CRL issuers (as OpenSSL looks CRLs up). */
export function subjectDer(cert: X509Certificate): string | undefined {
  try {
    const root = fromDer(forge.util.createBuffer(cert.raw.toString('binary')), { strict: true, parseAllBytes: true, decodeBitStrings: false });
    const tbs = children(children(root)[0]);
    const offset = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
    const subject = tbs[offset + 4];
    return subject === undefined ? undefined : asn1.toDer(subject).getBytes();
  } catch {
    return undefined;
  }
}

function warningsFor(crls: readonly ParsedCrl[], options: LoadCrlOptions): string[] {
  const now = (options.now ?? new Date()).getTime();
  const warnings: string[] = [];
  for (const { summary } of crls) {
    const where = `the CRL of "${summary.issuer}" (${summary.file})`;
    if (summary.nextUpdate !== undefined && Date.parse(summary.nextUpdate) < now) {
      warnings.push(`${where} expired at ${summary.nextUpdate}: clients of that CA are refused (CRL_HAS_EXPIRED) until a fresh CRL is installed`);
    }
    if (Date.parse(summary.thisUpdate) > now) {
      warnings.push(`${where} is not valid before ${summary.thisUpdate}: clients of that CA are refused (CRL_NOT_YET_VALID); check this machine's clock`);
    }
  }
  const issuers = new Set(crls.map((c) => c.issuerDer));
  for (const anchor of options.trustAnchors ?? []) {
    const subject = subjectDer(anchor);
    if (subject !== undefined && !issuers.has(subject)) {
      const name = formatDn(readCertificateNames(anchor.raw).subject);
      warnings.push(`no CRL is loaded for the truststore CA "${name}": with ssl.crl on, the certificates it issues are refused (UNABLE_TO_GET_CRL)`);
    }
  }
  return warnings;
}

/**
 * Refuses a CRL that names a truststore CA as its issuer but is not signed by that CA's key (by no certificate of
 * the truststore with that name, where a CA renewed with a new key has two): OpenSSL may take it for the CA's CRL and
 * refuse every client of the CA (CRL_SIGNATURE_FAILURE), and what it lists must not close anyone's connection. A CRL
 * of an intermediate CA that only clients send is checked against that CA when a chain is judged (tls/resumed.ts).
 */
function checkSignatures(crls: readonly ParsedCrl[], anchors: readonly X509Certificate[]): Set<ParsedCrl> {
  const verified = new Set<ParsedCrl>();
  const bySubject = new Map<string, X509Certificate[]>();
  for (const anchor of anchors) {
    const subject = subjectDer(anchor);
    if (subject !== undefined) bySubject.set(subject, [...(bySubject.get(subject) ?? []), anchor]);
  }
  for (const crl of crls) {
    const issuers = bySubject.get(crl.issuerDer);
    if (issuers === undefined) continue;
    const signed = signedParts(crl.der);
    if (signed !== undefined && issuers.some((a) => crlSignedBy(signed, a.publicKey))) {
      verified.add(crl);
      continue;
    }
    throw crlError(crl.summary.file, `the CRL of "${crl.summary.issuer}" is not signed by the key of the truststore CA of that name: it is another CA's, forged, or signed in a way the gateway cannot check`, undefined, 'install the CRL that CA issued (`openssl crl -in FILE -CAfile CA.pem -noout` says whether its signature verifies)');
  }
  return verified;
}

/**
 * Reads `path` (a CRL file, or every non-hidden file of a directory, not recursing).
 * @throws GatewayError GW_ERR_TLS_CRL naming the file and what is wrong with it.
 */
export function loadCrls(path: string, options: LoadCrlOptions = {}): LoadedCrls {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    throw crlError(path, `cannot be read: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const files = isDirectory ? listDirectory(path) : [path];
  if (isDirectory && files.length === 0) throw crlError(path, 'the directory holds no CRL files');
  const { crls, skipped } = isDirectory ? readDirectoryFiles(path, files) : { crls: readCrlFile(path), skipped: [] };
  const verified = checkSignatures(crls, options.trustAnchors ?? []);
  return {
    pems: crls.map((c) => toPem(c.der)),
    revocations: crls.map((c) => ({
      issuerDer: c.issuerDer,
      thisUpdate: Date.parse(c.summary.thisUpdate),
      nextUpdate: c.summary.nextUpdate === undefined ? undefined : Date.parse(c.summary.nextUpdate),
      serials: c.serials,
      signed: signedParts(c.der),
      series: `${Buffer.from(c.issuerDer, 'binary').toString('hex')}/${c.authorityKeyId}`,
      authorityKeyId: c.authorityKeyId,
      verified: verified.has(c),
    })),
    summary: crls.map((c) => c.summary),
    warnings: [...skipped, ...warningsFor(crls, options)],
    incomplete: skipped.length > 0,
  };
}

/**
 * The CRLs of a directory's files. A file that is not one, or not one the gateway can use (a README, a `.bak`, a
 * delta CRL, one half-written), is skipped with a warning rather than failing the directory: one stray file would
 * otherwise keep every later CRL out, and revocations with them. Skipping is safe: a CA whose CRL is missing refuses
 * its clients (UNABLE_TO_GET_CRL), and a CRL re-read while running keeps in force the CRLs of a CA the directory no
 * longer has one of (succeedCrls). A directory in which no file reads is refused.
 */
function readDirectoryFiles(dir: string, files: readonly string[]): { crls: ParsedCrl[]; skipped: string[] } {
  const crls: ParsedCrl[] = [];
  const skipped: string[] = [];
  let first: GatewayError | undefined;
  for (const file of files) {
    try {
      crls.push(...readCrlFile(file));
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      first ??= e;
      skipped.push(`${e.message}: skipped, the directory's other files are read (move it out of ${dir})`);
    }
  }
  if (crls.length === 0 && first !== undefined) {
    throw crlError(dir, `no file of the directory holds a CRL that can be used; the first: ${first.message}`, first, first.hint);
  }
  return { crls, skipped };
}

/** Whether `a` was issued before `b`: by cRLNumber where both have one (RFC 5280 has it only increase), else by thisUpdate. */
function isOlder(a: CrlSummary, b: CrlSummary): boolean {
  if (a.number !== undefined && b.number !== undefined) return BigInt(a.number) < BigInt(b.number);
  return Date.parse(a.thisUpdate) < Date.parse(b.thisUpdate);
}

/** The indices of `crls` by the series each belongs to (one CA's name and key), and the latest of each series. */
function seriesOf(crls: LoadedCrls): Map<string, { readonly members: number[]; latest: number }> {
  const series = new Map<string, { readonly members: number[]; latest: number }>();
  crls.revocations.forEach((r, i) => {
    const held = series.get(r.series);
    if (held === undefined) series.set(r.series, { members: [i], latest: i });
    else {
      held.members.push(i);
      if (isOlder(crls.summary[held.latest] as CrlSummary, crls.summary[i] as CrlSummary)) held.latest = i;
    }
  });
  return series;
}

/** The latest CRL of each CA (name and key): an older one beside it is superseded. */
export function latestCrls(crls: LoadedCrls): CrlSummary[] {
  return [...seriesOf(crls).values()].map((s) => crls.summary[s.latest] as CrlSummary);
}

function described(crl: CrlSummary): string {
  return `${crl.number !== undefined ? `number ${crl.number}, ` : ''}issued ${crl.thisUpdate}, ${crl.file}`;
}

/**
 * The CRLs in force that a reload whose truststore holds `anchors` takes `next` as the successor of: a truststore CA's
 * only while the truststore still holds that CA (its name and key), so that a CA taken out of it takes its CRLs along.
 */
export function stillAnchored(inForce: LoadedCrls, anchors: readonly X509Certificate[]): LoadedCrls {
  const kept = inForce.revocations.flatMap((r, i) => {
    if (!r.verified) return [i];
    const signed = r.signed;
    return signed !== undefined && anchors.some((a) => subjectDer(a) === r.issuerDer && crlSignedBy(signed, a.publicKey)) ? [i] : [];
  });
  if (kept.length === inForce.revocations.length) return inForce;
  const pick = <T>(from: readonly T[]): T[] => kept.map((i) => from[i] as T);
  return { ...inForce, pems: pick(inForce.pems), revocations: pick(inForce.revocations), summary: pick(inForce.summary) };
}

/**
 * `next`, re-read at `path` (a changed file, or a reload of the configuration), as a successor of the CRLs in force, CA by CA (by
 * name and key): a CA whose CRLs are gone from it (a CRL replaced by a delete, then a download) keeps those in force,
 * since without one every client of the CA would be refused; a CA whose latest CRL is older than the one in force (a
 * stale copy, which would admit again the certificates revoked since) keeps those in force too, where both were
 * checked against the truststore CA when read (a CRL of an intermediate CA, which only clients send, is not: its
 * numbers could be anyone's). Every other CA takes its new CRLs. Each CA kept is said in `warnings`. Only a start
 * takes the CRLs as they are.
 */
export function succeedCrls(path: string, inForce: LoadedCrls, next: LoadedCrls): LoadedCrls {
  const before = seriesOf(inForce);
  const after = seriesOf(next);
  const keep: number[] = [];
  const superseded = new Set<string>();
  const warnings: string[] = [];
  for (const [key, held] of before) {
    const was = inForce.summary[held.latest] as CrlSummary;
    const now = after.get(key);
    if (now === undefined) {
      keep.push(...held.members);
      warnings.push(`ssl.crl ${path} no longer holds a CRL of "${was.issuer}" (the one in force: ${described(was)}): it stays in force, since without one every client of that CA would be refused (UNABLE_TO_GET_CRL); put that CA's latest CRL back (write the new file before removing the old): a restart reads the files as they are`);
      continue;
    }
    const replacement = next.summary[now.latest] as CrlSummary;
    if (inForce.revocations[held.latest]?.verified === true && next.revocations[now.latest]?.verified === true && isOlder(replacement, was)) {
      keep.push(...held.members);
      superseded.add(key);
      warnings.push(`ssl.crl ${path}: the CRL of "${was.issuer}" (${described(replacement)}) is older than the one in force (${described(was)}), which stays in force: the certificates revoked since would be admitted again; install the CA's latest CRL`);
    }
  }
  if (warnings.length === 0) return next;
  const taken = next.revocations.flatMap((r, i) => (superseded.has(r.series) ? [] : [i]));
  const pick = <T>(from: readonly T[], indices: readonly number[]): T[] => indices.map((i) => from[i] as T);
  return {
    pems: [...pick(next.pems, taken), ...pick(inForce.pems, keep)],
    revocations: [...pick(next.revocations, taken), ...pick(inForce.revocations, keep)],
    summary: [...pick(next.summary, taken), ...pick(inForce.summary, keep)],
    // A CA whose CRLs stay in force has one loaded, whatever the new read says.
    warnings: [...next.warnings.filter((w) => !keep.some((i) => w.startsWith(`no CRL is loaded for the truststore CA "${inForce.summary[i]?.issuer ?? ''}"`))), ...warnings],
    incomplete: true,
  };
}

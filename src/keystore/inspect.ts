/**
 * `gateway keystore list`: what keytool -list -v shows, from decoded store contents. Entries are sorted by alias
 * as keytool sorts them; names are printed most-specific first (`CN=…, O=…`) and serials in keytool's short hex.
 */
import type { X509Certificate } from 'node:crypto';
import type { StoreContents } from './types.js';

export interface CertificateDescription {
  /** Distinguished name, keytool style: `CN=localhost, O=Acme`. */
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex without leading zeros, as keytool prints it. */
  readonly serialNumber: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** Upper-case colon-separated hex (`AB:CD:…`), the form keytool prints. */
  readonly fingerprintSha256: string;
  /** `DNS:localhost`, `IP:127.0.0.1`, `URI:…`, `email:…`. */
  readonly subjectAltNames: readonly string[];
  /** `RSA`, `EC`, `Ed25519`, … */
  readonly keyAlgorithm: string;
  /** Bits (RSA modulus, EC field size), when known. */
  readonly keySize: number | undefined;
  /** EC curve in keytool's naming (`secp256r1`). */
  readonly curve: string | undefined;
}

export interface EntryDescription extends Partial<CertificateDescription> {
  readonly alias: string;
  readonly kind: 'PrivateKeyEntry' | 'trustedCertEntry' | 'SecretKeyEntry';
  /** For key entries, every certificate of the chain, leaf first; the leaf's fields are also on the entry itself. */
  readonly chain: readonly CertificateDescription[];
  /** For secret keys, the algorithm when the store says it. */
  readonly secretAlgorithm?: string | undefined;
}

const CURVES: Record<string, { name: string; bits: number }> = {
  prime256v1: { name: 'secp256r1', bits: 256 },
  secp256r1: { name: 'secp256r1', bits: 256 },
  secp384r1: { name: 'secp384r1', bits: 384 },
  secp521r1: { name: 'secp521r1', bits: 521 },
  secp256k1: { name: 'secp256k1', bits: 256 },
};

const KEY_NAMES: Record<string, string> = { rsa: 'RSA', 'rsa-pss': 'RSASSA-PSS', ec: 'EC', dsa: 'DSA', ed25519: 'Ed25519', ed448: 'Ed448' };

/** Node prints names one RDN per line in encoding order; keytool prints them reversed on one line. */
function keytoolName(name: string): string {
  return name.split('\n').filter((s) => s !== '').reverse().join(', ');
}

function keytoolSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

function parseSans(san: string | undefined): string[] {
  if (!san) return [];
  return san.split(/, (?=[A-Za-z ]+:)/).map((s) => s.replace(/^IP Address:/, 'IP:'));
}

export function describeCertificate(cert: X509Certificate): CertificateDescription {
  const key = cert.publicKey;
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve !== undefined ? CURVES[details.namedCurve] : undefined;
  const keySize = details.modulusLength ?? curve?.bits ?? (type === 'ed25519' ? 255 : type === 'ed448' ? 448 : undefined);
  return {
    subject: keytoolName(cert.subject),
    issuer: keytoolName(cert.issuer),
    serialNumber: keytoolSerial(cert.serialNumber),
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    fingerprintSha256: cert.fingerprint256,
    subjectAltNames: parseSans(cert.subjectAltName),
    keyAlgorithm: KEY_NAMES[type] ?? type.toUpperCase(),
    keySize,
    curve: curve?.name ?? details.namedCurve,
  };
}

export function describeStore(contents: StoreContents): EntryDescription[] {
  const out: EntryDescription[] = [];
  for (const k of [...contents.keys, ...(contents.lockedKeys ?? [])]) {
    const chain = k.chain.map(describeCertificate);
    out.push({ ...chain[0], alias: k.alias, kind: 'PrivateKeyEntry', chain });
  }
  for (const t of contents.trusted) {
    const d = describeCertificate(t.certificate);
    out.push({ ...d, alias: t.alias, kind: 'trustedCertEntry', chain: [d] });
  }
  for (const s of contents.secrets) out.push({ alias: s.alias, kind: 'SecretKeyEntry', chain: [], secretAlgorithm: s.algorithm });
  return out.sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
}

function keyText(d: CertificateDescription): string {
  const size = d.keySize !== undefined ? `${d.keySize}-bit ` : '';
  const curve = d.curve !== undefined ? ` (${d.curve})` : '';
  return `${size}${d.keyAlgorithm}${curve} key`;
}

function certificateLines(d: CertificateDescription): string[] {
  return [
    `Owner: ${d.subject}`,
    `Issuer: ${d.issuer}`,
    `Serial number: ${d.serialNumber}`,
    `Valid from: ${d.validFrom.toISOString()} until: ${d.validTo.toISOString()}`,
    'Certificate fingerprints:',
    `\t SHA256: ${d.fingerprintSha256}`,
    `Subject alternative names: ${d.subjectAltNames.length > 0 ? d.subjectAltNames.join(', ') : '(none)'}`,
    `Subject Public Key Algorithm: ${keyText(d)}`,
  ];
}

/** The text `gateway keystore list` prints: keytool -list -v's layout, trimmed to what users look for. */
export function formatStoreListing(file: string, contents: StoreContents): string {
  const entries = describeStore(contents);
  const lines = [
    `Keystore file: ${file}`,
    `Keystore type: ${contents.format}`,
    '',
    `Your keystore contains ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`,
    '',
  ];
  for (const e of entries) {
    lines.push(`Alias name: ${e.alias}`, `Entry type: ${e.kind}`);
    if (e.kind === 'PrivateKeyEntry') {
      lines.push(`Certificate chain length: ${e.chain.length}`);
      e.chain.forEach((c, i) => lines.push(`Certificate[${i + 1}]:`, ...certificateLines(c)));
    } else if (e.kind === 'trustedCertEntry' && e.chain[0]) {
      lines.push(...certificateLines(e.chain[0]));
    } else if (e.secretAlgorithm !== undefined) {
      lines.push(`Secret key algorithm: ${e.secretAlgorithm}`);
    }
    lines.push('', '*******************************************', '');
  }
  for (const w of contents.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

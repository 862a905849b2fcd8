/**
 * The names in a certificate (subject, issuer, subject alternative names), read from its DER.
 *
 * Node's X509Certificate gives the subject as OpenSSL prints it (escaped, one attribute per line, multi-valued RDNs
 * flattened) and the SANs as a comma-joined string whose values may be JSON-quoted; re-parsing those strings is
 * where certificate-matching bugs come from. Reading the ASN.1 keeps the exact attribute order, multi-valued RDNs
 * and raw SAN values. node-forge's certificate parser cannot be used because it rejects non-RSA keys (EC client
 * certificates are common), so only its ASN.1 reader is used here.
 */
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface NameAttribute {
  /** Java's keyword for the attribute type (`CN`, `OU`, `EMAILADDRESS`…), or the dotted OID when it has none. */
  readonly type: string;
  readonly value: string;
  /** Set when the value is not a string this reader decodes (BER's constructed form, say): `value` is then empty. */
  readonly unread?: true;
}

/** One relative distinguished name: usually one attribute, several for multi-valued RDNs (`CN=a+UID=b`). */
export type Rdn = readonly NameAttribute[];

export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP';

export interface SubjectAltName {
  readonly type: SanType;
  readonly value: string;
}

export interface CertificateNames {
  /** RDNs in DER order (most general first, as encoded). */
  readonly subject: readonly Rdn[];
  readonly issuer: readonly Rdn[];
  /** DNS, URI, e-mail and IP entries in the order the certificate lists them; other kinds are left out. */
  readonly sans: readonly SubjectAltName[];
}

// The keywords Java's X500Principal prints; anything else is shown by OID.
const ATTRIBUTE_KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SURNAME',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATION',
  '2.5.4.46': 'DNQ',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
};

const OID_SUBJECT_ALT_NAME = '2.5.29.17';

type Asn1 = forge.asn1.Asn1;

function children(node: Asn1 | undefined): Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function bytesOf(node: Asn1): string {
  return typeof node.value === 'string' ? node.value : '';
}

/** Decodes a DirectoryString / IA5String / … to text, by its universal tag. */
function decodeString(node: Asn1): string {
  const raw = bytesOf(node);
  switch (node.type as number) {
    case 12: // UTF8String
      return Buffer.from(raw, 'binary').toString('utf8');
    case 30: // BMPString: UCS-2 big-endian
      return Buffer.from(raw, 'binary').swap16().toString('utf16le');
    case 28: {
      // UniversalString: UCS-4 big-endian
      const b = Buffer.from(raw, 'binary');
      let out = '';
      for (let i = 0; i + 3 < b.length; i += 4) out += String.fromCodePoint(b.readUInt32BE(i));
      return out;
    }
    default: // PrintableString, IA5String, TeletexString, VisibleString: single-byte
      return Buffer.from(raw, 'binary').toString('latin1');
  }
}

/** The RDNs of a DER-decoded X.501 Name (a certificate's subject or issuer, a CRL's issuer). */
export function readName(name: Asn1 | undefined): Rdn[] {
  return children(name).map((set) =>
    children(set).map((atv) => {
      const [oidNode, valueNode] = children(atv);
      const oid = oidNode ? forge.asn1.derToOid(bytesOf(oidNode)) : '';
      const value = valueNode ? decodeString(valueNode) : '';
      const type = ATTRIBUTE_KEYWORDS[oid] ?? oid;
      return valueNode === undefined || Array.isArray(valueNode.value) ? { type, value, unread: true as const } : { type, value };
    }),
  );
}

function formatIp(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952 form: the longest run of two or more zero groups becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function readGeneralNames(extnValue: Asn1): SubjectAltName[] {
  // The OCTET STRING wraps the DER of GeneralNames; forge may or may not have decoded it already.
  const inner = Array.isArray(extnValue.value) ? (extnValue.value as Asn1[])[0] : forge.asn1.fromDer(bytesOf(extnValue));
  const sans: SubjectAltName[] = [];
  for (const gn of children(inner)) {
    if (gn.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC) continue;
    const raw = Buffer.from(bytesOf(gn), 'binary');
    switch (gn.type as number) {
      case 1:
        sans.push({ type: 'EMAIL', value: raw.toString('latin1') });
        break;
      case 2:
        sans.push({ type: 'DNS', value: raw.toString('latin1') });
        break;
      case 6:
        sans.push({ type: 'URI', value: raw.toString('latin1') });
        break;
      case 7: {
        const ip = formatIp(raw);
        if (ip !== undefined) sans.push({ type: 'IP', value: ip });
        break;
      }
      default: // otherName, x400Address, directoryName, ediPartyName, registeredID: not used for matching
        break;
    }
  }
  return sans;
}

function readExtensions(tbsFields: Asn1[]): SubjectAltName[] {
  const wrapper = tbsFields.find((f) => f.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && (f.type as number) === 3);
  for (const ext of children(children(wrapper)[0])) {
    const fields = children(ext);
    const oidNode = fields[0];
    if (!oidNode || forge.asn1.derToOid(bytesOf(oidNode)) !== OID_SUBJECT_ALT_NAME) continue;
    const value = fields[fields.length - 1];
    return value ? readGeneralNames(value) : [];
  }
  return [];
}

/** Reads subject, issuer and SANs from a certificate's DER. Throws if it is not a certificate. */
export function readCertificateNames(der: Buffer): CertificateNames {
  const root = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = children(children(root)[0]);
  // An explicit [0] version comes first in v2/v3 certificates; v1 certificates start with the serial number.
  const first = tbs[0];
  const offset = first !== undefined && first.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  return {
    issuer: readName(tbs[offset + 2]),
    subject: readName(tbs[offset + 4]),
    sans: readExtensions(tbs.slice(offset + 6)),
  };
}

const SPECIAL = /[,+"\\<>;]/g;

/** RFC 2253 escaping of one attribute value. */
function escapeValue(value: string): string {
  let out = value.replace(SPECIAL, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * `CN=device-1, OU=devices, O=Acme`: the most specific RDN first, as Java's X500Principal prints, so log lines
 * and rules written for Kaazing keep matching.
 */
export function formatDn(rdns: readonly Rdn[]): string {
  return [...rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join('+'))
    .join(', ');
}

/** `{ CN: ['device-1'], OU: ['devices'], O: ['Acme'] }`, values in the order formatDn prints them. */
export function dnAttributes(rdns: readonly Rdn[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rdn of [...rdns].reverse()) {
    for (const a of rdn) (out[a.type] ??= []).push(a.value);
  }
  return out;
}

/** The subject as Java prints a DN (as warnings name certificates), else OpenSSL's rendering in the same order. */
export function subjectOf(cert: X509Certificate): string {
  try {
    return formatDn(readCertificateNames(cert.raw).subject);
  } catch {
    return cert.subject.split('\n').filter(Boolean).reverse().join(', ');
  }
}

/** The subject's common names, most specific first. */
export function commonNames(names: CertificateNames): string[] {
  return dnAttributes(names.subject)['CN'] ?? [];
}

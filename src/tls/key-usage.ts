/**
 * Whether a certificate may serve as a TLS client certificate, by its Key Usage and Extended Key Usage
 * extensions (RFC 5280 §4.2.1.3, §4.2.1.12). A backend that checks them refuses a certificate made for servers
 * only, and the handshake then fails with an alert that does not say why; this lets start-up say it instead.
 *
 * Read from the DER with node-forge's ASN.1 reader: Node's X509Certificate exposes the extended key usages but
 * not the Key Usage bits, and forge's certificate parser rejects non-RSA keys (see x509-names.ts).
 */
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';

type Asn1 = forge.asn1.Asn1;

const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_ANY_EXT_KEY_USAGE = '2.5.29.37.0';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const PURPOSE_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  [OID_CLIENT_AUTH]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  [OID_ANY_EXT_KEY_USAGE]: 'anyExtendedKeyUsage',
};

export interface CertificateUsage {
  /** Extended Key Usage purposes by name (`serverAuth`) or dotted OID; undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** Whether Key Usage has digitalSignature; undefined when the extension is absent. */
  readonly digitalSignature: boolean | undefined;
}

function children(node: Asn1 | undefined): Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function bytesOf(node: Asn1 | undefined): string {
  return node !== undefined && typeof node.value === 'string' ? node.value : '';
}

// The typings know only the boolean form; node-forge also takes options. A Key Usage BIT STRING must stay bytes.
const fromDer = forge.asn1.fromDer as unknown as (bytes: forge.util.ByteBuffer, options: { strict: boolean; decodeBitStrings: boolean }) => Asn1;

/** The DER inside an extension's OCTET STRING; forge may already have decoded it. */
function extensionValue(octets: Asn1): Asn1 {
  if (Array.isArray(octets.value)) return (octets.value as Asn1[])[0] as Asn1;
  return fromDer(forge.util.createBuffer(bytesOf(octets)), { strict: true, decodeBitStrings: false });
}

/** Reads both extensions. Throws if the DER is not a certificate (an X509Certificate always is). */
export function certificateUsage(cert: X509Certificate): CertificateUsage {
  const root = fromDer(forge.util.createBuffer(cert.raw.toString('binary')), { strict: true, decodeBitStrings: false });
  const tbs = children(children(root)[0]);
  const wrapper = tbs.find((f) => f.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && (f.type as number) === 3);
  let extendedKeyUsage: string[] | undefined;
  let digitalSignature: boolean | undefined;
  for (const ext of children(children(wrapper)[0])) {
    const fields = children(ext);
    const oid = forge.asn1.derToOid(bytesOf(fields[0]));
    const octets = fields[fields.length - 1];
    if (octets === undefined) continue;
    if (oid === OID_EXT_KEY_USAGE) {
      extendedKeyUsage = children(extensionValue(octets)).map((p) => {
        const purpose = forge.asn1.derToOid(bytesOf(p));
        return PURPOSE_NAMES[purpose] ?? purpose;
      });
    } else if (oid === OID_KEY_USAGE) {
      // BIT STRING content: the count of unused bits, then the bits; digitalSignature is bit 0, the first one.
      const bits = bytesOf(extensionValue(octets));
      digitalSignature = bits.length > 1 && (bits.charCodeAt(1) & 0x80) !== 0;
    }
  }
  return { extendedKeyUsage, digitalSignature };
}

/**
 * Why the certificate cannot authenticate a TLS client (`its extended key usage is serverAuth, not clientAuth`),
 * or undefined when it can. anyExtendedKeyUsage counts as allowing it, as Java does.
 */
export function clientAuthProblem(cert: X509Certificate): string | undefined {
  const usage = certificateUsage(cert);
  const problems: string[] = [];
  const eku = usage.extendedKeyUsage;
  if (eku !== undefined && !eku.includes('clientAuth') && !eku.includes('anyExtendedKeyUsage')) {
    problems.push(`its extended key usage is ${eku.length > 0 ? eku.join(', ') : 'empty'}, not clientAuth`);
  }
  if (usage.digitalSignature === false) problems.push('its key usage lacks digitalSignature');
  return problems.length > 0 ? problems.join('; ') : undefined;
}

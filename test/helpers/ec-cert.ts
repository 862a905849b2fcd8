/**
 * EC (P-256) certificates for tests with what `issue()` does not lay out, assembled here with node-forge's ASN.1
 * writer and signed by the development PKI's signer. Supports what the TLS tests need: a subject with multi-valued
 * RDNs, SANs, CA or leaf, validity in days. TEST FIXTURES ONLY.
 */
import { generateKeyPairSync, type X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { randomSerial, signTbs } from '../../src/devpki/issue.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

export interface EcIssued {
  readonly cert: string;
  readonly key: string;
  readonly x509: X509Certificate;
  readonly keyObject: KeyObject;
  /** Internal: the subject RDNs, for issuing further certificates. */
  readonly subjectRdns: readonly (readonly [string, string][])[];
}

export interface EcIssueOptions {
  /** RDNs most general first, each a list of [OID, value] pairs: `[[['2.5.4.3', 'device']]]`. */
  subject: [string, string][][];
  /** `DNS:x`, `IP:1.2.3.4`, `URI:…`, `EMAIL:…`. */
  sans?: string[];
  issuer?: EcIssued;
  isCA?: boolean;
  notBeforeDays?: number;
  notAfterDays?: number;
}

const DAY = 24 * 60 * 60 * 1000;

function seq(...items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(U, T.SEQUENCE, true, items);
}

function oid(id: string): forge.asn1.Asn1 {
  return asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes());
}

function name(rdns: readonly (readonly [string, string][])[]): forge.asn1.Asn1 {
  return seq(
    ...rdns.map((rdn) =>
      asn1.create(U, T.SET, true, rdn.map(([type, value]) => seq(oid(type), asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(value))))),
    ),
  );
}

function generalName(san: string): forge.asn1.Asn1 {
  const i = san.indexOf(':');
  const kind = san.slice(0, i).toUpperCase();
  const value = san.slice(i + 1);
  const tag = { EMAIL: 1, DNS: 2, URI: 6, IP: 7 }[kind];
  if (tag === undefined) throw new Error(`unknown SAN kind in test certificate: ${san}`);
  // bytesFromIP exists in node-forge but is missing from its type definitions.
  const bytes = tag === 7 ? (forge.util as unknown as { bytesFromIP(ip: string): string }).bytesFromIP(value) : value;
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, bytes);
}

function extension(id: string, critical: boolean, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  const der = asn1.toDer(value).getBytes();
  return seq(oid(id), ...(critical ? [asn1.create(U, T.BOOLEAN, false, '\xff')] : []), asn1.create(U, T.OCTETSTRING, false, der));
}

export function issueEc(opts: EcIssueOptions): EcIssued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = opts.issuer ? opts.issuer.keyObject : privateKey;
  const now = Date.now();
  const extensions = [extension('2.5.29.19', true, seq(...(opts.isCA ? [asn1.create(U, T.BOOLEAN, false, '\xff')] : [])))];
  if (opts.sans && opts.sans.length > 0) extensions.push(extension('2.5.29.17', false, seq(...opts.sans.map(generalName))));
  const tbs = seq(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, Buffer.from(randomSerial(), 'hex').toString('binary')),
    // The signature algorithm: signTbs fills it in.
    asn1.create(U, T.NULL, false, ''),
    name(opts.issuer ? opts.issuer.subjectRdns : opts.subject),
    seq(
      asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(new Date(now + (opts.notBeforeDays ?? -1) * DAY))),
      asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(new Date(now + (opts.notAfterDays ?? 365) * DAY))),
    ),
    name(opts.subject),
    asn1.fromDer(publicKey.export({ type: 'spki', format: 'der' }).toString('binary')),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(...extensions)]),
  );
  const x509 = signTbs(tbs, signer);
  return {
    cert: x509.toString(),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    x509,
    keyObject: privateKey,
    subjectRdns: opts.subject,
  };
}

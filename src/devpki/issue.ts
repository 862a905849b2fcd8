/**
 * Issues certificates for the development PKI (`gateway dev-pki`) and for tests: CAs, server and client
 * certificates with chosen subjects, SANs and validity. Not a CA for production use: keys are generated in memory
 * and the caller decides where (if anywhere) they are written.
 *
 * Keys come from Node's native generator (fast); node-forge builds and signs the certificates.
 */
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { GatewayError } from '../errors.js';

export interface Issued {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
  readonly x509: X509Certificate;
  readonly keyObject: KeyObject;
  /** Internal: forge objects, for signing further certificates. */
  readonly forgeCert: forge.pki.Certificate;
  readonly forgeKey: forge.pki.rsa.PrivateKey;
}

export interface SubjectAttrs {
  CN?: string;
  OU?: string;
  O?: string;
  L?: string;
  C?: string;
}

export interface IssueOptions {
  subject: SubjectAttrs;
  /** `DNS:x`, `IP:1.2.3.4`, `URI:spiffe://…`, `EMAIL:a@b`. */
  sans?: string[];
  /** Signed by this CA; self-signed when absent. */
  issuer?: Issued;
  isCA?: boolean;
  /** Days from now; negative values make an expired certificate. Defaults: from -1 day to +365 days. */
  notBeforeDays?: number;
  notAfterDays?: number;
  usage?: 'server' | 'client' | 'both';
  bits?: number;
}

function subjectToForge(s: SubjectAttrs): forge.pki.CertificateField[] {
  const order: (keyof SubjectAttrs)[] = ['C', 'O', 'OU', 'L', 'CN'];
  const shortNames: Record<keyof SubjectAttrs, string> = { CN: 'CN', OU: 'OU', O: 'O', L: 'L', C: 'C' };
  return order.filter((k) => s[k] !== undefined).map((k) => ({ shortName: shortNames[k], value: s[k] as string }));
}

function sanToForge(san: string): { type: number; value?: string; ip?: string } {
  const idx = san.indexOf(':');
  const kind = san.slice(0, idx).toUpperCase();
  const value = san.slice(idx + 1);
  switch (kind) {
    case 'DNS':
      return { type: 2, value };
    case 'EMAIL':
      return { type: 1, value };
    case 'URI':
      return { type: 6, value };
    case 'IP':
      return { type: 7, ip: value };
    default:
      throw new GatewayError('GW_ERR_USAGE', `unknown subject alternative name kind in "${san}" (use DNS:, IP:, URI: or EMAIL:)`);
  }
}

const DAY = 24 * 60 * 60 * 1000;

export function issue(opts: IssueOptions): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const forgePub = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());

  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePub;
  // A positive serial: the high bit cleared so DER does not read it as negative.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now + (opts.notBeforeDays ?? -1) * DAY);
  cert.validity.notAfter = new Date(now + (opts.notAfterDays ?? 365) * DAY);
  cert.setSubject(subjectToForge(opts.subject));
  cert.setIssuer(opts.issuer ? opts.issuer.forgeCert.subject.attributes : subjectToForge(opts.subject));

  const extensions: object[] = [];
  if (opts.isCA) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    const usage = opts.usage ?? 'both';
    extensions.push({
      name: 'extKeyUsage',
      serverAuth: usage !== 'client',
      clientAuth: usage !== 'server',
    });
  }
  if (opts.sans && opts.sans.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames: opts.sans.map(sanToForge) });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(opts.issuer ? opts.issuer.forgeKey : forgeKey, forge.md.sha256.create());

  const certPem = forge.pki.certificateToPem(cert);
  return {
    cert: certPem,
    key: keyPem,
    x509: new X509Certificate(certPem),
    keyObject: createPrivateKey(keyPem),
    forgeCert: cert,
    forgeKey,
  };
}

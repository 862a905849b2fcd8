/**
 * Certificates with chosen Key Usage and Extended Key Usage extensions (or none), for the client-authentication
 * checks. The key pair of an existing test certificate is reused, so no key is generated. TEST FIXTURES ONLY.
 */
import { createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { randomSerial, signCertificate } from '../../src/devpki/issue.js';
import type { Issued } from './pki.js';
import type { TestCert } from './tls.js';

export interface UsageOptions {
  /** The CN of the new certificate's subject. */
  cn: string;
  /** forge's keyUsage flags (`digitalSignature`, `keyEncipherment`…); null leaves the extension out. */
  keyUsage: Record<string, boolean> | null;
  /** forge's extKeyUsage flags (`serverAuth`, `clientAuth`, `codeSigning`…); null leaves the extension out. */
  extKeyUsage: Record<string, boolean> | null;
}

/** A certificate for `keyOf`'s key pair, signed by `issuer`, with the extensions asked for. */
export function withUsage(keyOf: Issued, issuer: Issued, opts: UsageOptions): TestCert {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 86_400_000);
  cert.validity.notAfter = new Date(now + 30 * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: opts.cn }]);
  cert.setIssuer(issuer.subjectFields);
  const extensions: object[] = [{ name: 'basicConstraints', cA: false }];
  if (opts.keyUsage !== null) extensions.push({ name: 'keyUsage', critical: true, ...opts.keyUsage });
  if (opts.extKeyUsage !== null) extensions.push({ name: 'extKeyUsage', ...opts.extKeyUsage });
  cert.setExtensions(extensions);
  return { x509: signCertificate(cert, createPublicKey(keyOf.keyObject), issuer.keyObject), keyObject: keyOf.keyObject };
}

/**
 * The certificates whose remaining lifetime the metrics and the status page show, read from the loaded stores and
 * CRLs: every server certificate, the trusted CA that expires first, and the CRL whose nextUpdate comes first. Names
 * are written as Java prints a DN, most specific first, as in the log lines and the CRLs' issuers.
 */
import type { StoreContents } from '../keystore/types.js';
import type { CrlSummary } from '../tls/crl.js';
import type { ServedCertificate } from '../tls/served.js';
import { subjectOf } from '../tls/x509-names.js';
import type { CertificateReport } from './types.js';

export function certificateReport(
  keystore: StoreContents | undefined,
  truststore: StoreContents | undefined,
  crls: readonly CrlSummary[],
  served: readonly ServedCertificate[] = [],
): CertificateReport {
  const server = (keystore?.keys ?? []).flatMap((k) => {
    const leaf = k.chain[0];
    const serves = served.filter((s) => s.alias === k.alias).map((s) => `${s.host} on ${s.address}`);
    return leaf ? [{ alias: k.alias, subject: subjectOf(leaf), serial: leaf.serialNumber, validTo: new Date(leaf.validTo), serves }] : [];
  });
  let soonestClientCa: CertificateReport['soonestClientCa'];
  for (const t of truststore?.trusted ?? []) {
    const validTo = new Date(t.certificate.validTo);
    if (!soonestClientCa || validTo < soonestClientCa.validTo) soonestClientCa = { subject: subjectOf(t.certificate), validTo };
  }
  let soonestCrl: CertificateReport['soonestCrl'];
  for (const c of crls) {
    if (c.nextUpdate === undefined) continue;
    const nextUpdate = new Date(c.nextUpdate);
    if (!soonestCrl || nextUpdate < soonestCrl.nextUpdate) soonestCrl = { issuer: c.issuer, nextUpdate };
  }
  return { server, soonestClientCa, soonestCrl };
}

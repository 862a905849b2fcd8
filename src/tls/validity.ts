/**
 * Certificates of the stores that are past, before or near the end of their validity, found when the stores are
 * loaded (`check`, start, every reload). OpenSSL takes an expired certificate into a secure context without a word;
 * only the peers then refuse it, each handshake with an alert that tells the gateway's log nothing of why.
 *
 * Judged: the leaf of each key entry the configuration presents (served to TLS clients, or presented to a backend
 * as a client certificate), once however many accepts and connects use it, and each trusted certificate of a
 * truststore in use, since a certificate that chains to an expired CA no longer verifies (OpenSSL checks the trust
 * anchor's dates too). Key entries nothing presents are left alone: a keystore may keep an old certificate beside
 * its renewal, and tls/select.ts serves the one valid now.
 */
import type { X509Certificate } from 'node:crypto';
import type { KeyEntry, StoreContents } from '../keystore/types.js';
import { subjectOf } from './x509-names.js';

/**
 * How close to its end a certificate is warned about. The same two weeks docs/metrics.md suggests alerting at and
 * the status page marks, so that the log, the metrics and the page agree on what "soon" is.
 */
export const EXPIRY_NOTICE_DAYS = 14;

const DAY_MS = 86_400_000;

/** Where a key entry's certificate is presented. */
export interface CertificateUse {
  readonly entry: KeyEntry;
  /** `server`: served to the clients of an accept; `client`: presented to a backend that asks for one. */
  readonly role: 'server' | 'client';
  /** The accept or connect URI. */
  readonly where: string;
}

type Judgement =
  | { readonly state: 'expired'; readonly at: string }
  | { readonly state: 'not yet valid'; readonly at: string }
  | { readonly state: 'expiring'; readonly at: string; readonly days: number };

function judge(cert: X509Certificate, now: number): Judgement | undefined {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (now > to) return { state: 'expired', at: new Date(to).toISOString() };
  if (now < from) return { state: 'not yet valid', at: new Date(from).toISOString() };
  if (to - now <= EXPIRY_NOTICE_DAYS * DAY_MS) return { state: 'expiring', at: new Date(to).toISOString(), days: Math.floor((to - now) / DAY_MS) };
  return undefined;
}


function when(j: Judgement): string {
  if (j.state === 'expired') return `expired at ${j.at}`;
  if (j.state === 'not yet valid') return `is not valid before ${j.at}`;
  return `expires at ${j.at}, ${j.days === 0 ? 'within a day' : `in ${j.days} day${j.days === 1 ? '' : 's'}`}`;
}

function list(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, 2).join(', ')} and ${items.length - 2} more`;
}

function roles(uses: readonly CertificateUse[]): string {
  const served = uses.filter((u) => u.role === 'server').map((u) => u.where);
  const presented = uses.filter((u) => u.role === 'client').map((u) => u.where);
  return [
    ...(served.length > 0 ? [`the server certificate of ${list(served)}`] : []),
    ...(presented.length > 0 ? [`the client certificate presented to ${list(presented)}`] : []),
  ].join(', and ');
}

/**
 * One warning per key entry in `uses` (several uses of one entry make one warning) whose certificate has expired,
 * is not yet valid or expires within EXPIRY_NOTICE_DAYS. `file`: the keystore, as the configuration names it.
 */
export function keyEntryValidityWarnings(file: string, uses: readonly CertificateUse[], now = Date.now()): string[] {
  const byEntry = new Map<KeyEntry, CertificateUse[]>();
  for (const use of uses) {
    const known = byEntry.get(use.entry) ?? [];
    if (!known.some((u) => u.role === use.role && u.where === use.where)) known.push(use);
    byEntry.set(use.entry, known);
  }
  const warnings: string[] = [];
  for (const [entry, entryUses] of byEntry) {
    const leaf = entry.chain[0];
    const j = leaf === undefined ? undefined : judge(leaf, now);
    if (leaf === undefined || j === undefined) continue;
    const what = `keystore "${file}" entry "${entry.alias}" (${subjectOf(leaf)}), ${roles(entryUses)},`;
    if (j.state === 'expired') warnings.push(`${what} ${when(j)}: peers that check it refuse it (CERT_HAS_EXPIRED), so those handshakes fail; renew it and replace the entry`);
    else if (j.state === 'not yet valid') warnings.push(`${what} ${when(j)}: peers that check it refuse it until then (CERT_NOT_YET_VALID); check this machine's clock and the certificate's dates`);
    else warnings.push(`${what} ${when(j)}: peers that check it refuse it from then on; renew it and replace the entry before then`);
  }
  return warnings;
}

/**
 * One warning per trusted certificate of `truststore` that has expired, is not yet valid or expires within
 * EXPIRY_NOTICE_DAYS: every certificate that chains to it is refused meanwhile. Key entries of a truststore are
 * left to keyEntryValidityWarnings (a file that is both stores would otherwise be warned about twice).
 */
export function truststoreValidityWarnings(file: string, truststore: StoreContents, now = Date.now()): string[] {
  const warnings: string[] = [];
  for (const { alias, certificate } of truststore.trusted) {
    const j = judge(certificate, now);
    if (j === undefined) continue;
    const what = `truststore "${file}" certificate "${alias}" (${subjectOf(certificate)}) ${when(j)}`;
    if (j.state === 'expired') warnings.push(`${what}: every certificate that chains to it is refused (CERT_HAS_EXPIRED); install the CA's renewed certificate, or remove it`);
    else if (j.state === 'not yet valid') warnings.push(`${what}: until then every certificate that chains to it is refused (CERT_NOT_YET_VALID); check this machine's clock`);
    else warnings.push(`${what}: from then on every certificate that chains to it is refused; install the CA's renewed certificate before then`);
  }
  return warnings;
}

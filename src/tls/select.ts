/**
 * Which key entries may serve a host name. Kaazing indexes every private-key entry by its certificate's common
 * name and DNS subject alternative names (lower case, `*.` wildcards); an IP literal also matches IP SANs.
 */
import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import type { KeyEntry } from '../keystore/types.js';
import { certificateParts, selfIssued } from './certificate-der.js';
import { commonNames, readCertificateNames } from './x509-names.js';

/** The names a certificate answers to, lower case: CNs first, then DNS SANs, without duplicates. */
export interface CertificateHostNames {
  readonly names: readonly string[];
  /** The common names alone, lower case: a certificate issued *for* a name carries it as CN. */
  readonly commonNames: readonly string[];
  readonly ips: readonly string[];
}

const hostNamesCache = new WeakMap<X509Certificate, CertificateHostNames>();

export function certificateHostNames(cert: X509Certificate): CertificateHostNames {
  const cached = hostNamesCache.get(cert);
  if (cached) return cached;
  let cns: string[];
  let dns: string[];
  let ips: string[];
  try {
    const parsed = readCertificateNames(cert.raw);
    cns = commonNames(parsed);
    dns = parsed.sans.filter((s) => s.type === 'DNS').map((s) => s.value);
    ips = parsed.sans.filter((s) => s.type === 'IP').map((s) => s.value);
  } catch {
    // OpenSSL parsed this certificate, so only an encoding the DER reader does not know gets here: fall back to
    // OpenSSL's renderings (values it had to quote are left out rather than guessed at).
    cns = cert.subject.split('\n').flatMap((l) => (l.startsWith('CN=') ? [l.slice(3)] : []));
    const entries = (cert.subjectAltName ?? '').split(', ');
    dns = entries.flatMap((e) => (e.startsWith('DNS:') && !e.startsWith('DNS:"') ? [e.slice(4)] : []));
    ips = [];
  }
  const names = new Set<string>([...cns, ...dns].map(normaliseHostname));
  const result = { names: [...names].filter((n) => n.length > 0), commonNames: cns.map(normaliseHostname), ips };
  hostNamesCache.set(cert, result);
  return result;
}

/** Lower case, without IPv6 brackets or a trailing dot: the form names are compared in. */
export function normaliseHostname(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * `*.example.com` covers exactly one label (`a.example.com`, not `example.com` nor `a.b.example.com`), as RFC 6125
 * and Java's hostname checker allow; partial-label wildcards (`f*.example.com`) are not honoured.
 */
function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // `.example.com`
  if (!suffix.slice(1).includes('.')) return false; // `*.com` would cover a whole top-level domain
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

type Match = 'common-name' | 'exact' | 'wildcard' | undefined;

const MATCH_RANK = { 'common-name': 0, exact: 1, wildcard: 2 } as const;

function matchEntry(entry: KeyEntry, host: string): Match {
  const leaf = entry.chain[0];
  if (!leaf) return undefined;
  const { names, commonNames } = certificateHostNames(leaf);
  if (commonNames.includes(host)) return 'common-name';
  if (names.includes(host)) return 'exact';
  if (isIP(host) !== 0) {
    // checkIP compares addresses, so `::1` matches an IP SAN however it is written.
    return leaf.checkIP(host) !== undefined ? 'exact' : undefined;
  }
  return names.some((n) => wildcardMatches(n, host)) ? 'wildcard' : undefined;
}

const selfSignedCache = new WeakMap<X509Certificate, boolean>();

/**
 * Whether a certificate is signed by its own key. keytool -genkeypair gives every new key entry such a certificate
 * until the CA's reply is imported over it (-importcert), so a keystore being renewed holds one for a while.
 */
export function selfSigned(cert: X509Certificate): boolean {
  let known = selfSignedCache.get(cert);
  if (known === undefined) {
    const parts = certificateParts(cert.raw);
    try {
      // checkIssued would also ask for keyCertSign, which a server certificate's keyUsage does not give.
      known = parts !== undefined && selfIssued(parts) && cert.verify(cert.publicKey);
    } catch {
      known = false;
    }
    selfSignedCache.set(cert, known);
  }
  return known;
}

/** Whether the entry's certificate is within its validity at `now`. */
export function currentlyValid(entry: KeyEntry, now: number): boolean {
  const leaf = entry.chain[0];
  if (!leaf) return false;
  return Date.parse(leaf.validFrom) <= now && now <= Date.parse(leaf.validTo);
}

/**
 * The key entries whose certificate matches `hostname`, best first: certificates valid now before expired or
 * not-yet-valid ones, then one a CA issued before a self-signed one (the placeholder keytool -genkeypair makes while
 * a renewal waits for its CA, which would otherwise win by its later end and be refused by every client), then a
 * certificate whose CN is the name before one that lists it among other SANs, exact names before wildcards, then of
 * two valid now the one that expires later (a keystore holding a renewed certificate next to the old one serves the
 * renewed one from the moment it is imported, not once the old one has expired), then keystore order. Validity is
 * judged at `now`.
 */
export function selectKeyEntries(keys: readonly KeyEntry[], hostname: string, now = Date.now()): KeyEntry[] {
  const host = normaliseHostname(hostname);
  if (host.length === 0) return [];
  const ranked: { entry: KeyEntry; invalid: number; selfSigned: number; match: number; until: number; index: number }[] = [];
  keys.forEach((entry, index) => {
    const match = matchEntry(entry, host);
    if (match === undefined) return;
    const valid = currentlyValid(entry, now);
    // Only valid certificates are told apart by their end; among the others, keystore order decides.
    const until = valid ? Date.parse(entry.chain[0]!.validTo) : 0;
    ranked.push({ entry, invalid: valid ? 0 : 1, selfSigned: selfSigned(entry.chain[0]!) ? 1 : 0, match: MATCH_RANK[match], until, index });
  });
  ranked.sort((a, b) => a.invalid - b.invalid || a.selfSigned - b.selfSigned || a.match - b.match || b.until - a.until || a.index - b.index);
  return ranked.map((r) => r.entry);
}

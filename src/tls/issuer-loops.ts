/**
 * Whether Node's linking of a client's chain can go round the truststore without end. getPeerCertificate(true)
 * climbs from the client's last certificate by asking OpenSSL for an issuer in the truststore
 * (X509_STORE_CTX_get1_issuer), and stops only at a certificate X509_check_issued accepts as its own issuer, or
 * one OpenSSL gives as its own issuer. CAs of the truststore cross-signed both ways, or the link certificates of a
 * root key rollover (RFC 4210 4.4), can send it round until the process runs out of memory, whether OpenSSL
 * verified the client or not.
 *
 * What is found here is a loop OpenSSL's lookup can follow, or more, never less:
 * - a certificate ends the walk only where OpenSSL itself (X509Certificate#checkIssued, X509_check_issued) takes it
 *   for its own issuer;
 * - from any other, the walk may go to every other certificate whose subject may match its issuer name, unless both
 *   carry key identifiers that differ. Names are compared coarser than OpenSSL compares them, so that a match of
 *   OpenSSL's is always one here: the attributes of a name as one sorted list (OpenSSL sorts a multi-valued RDN's
 *   and leaves empty RDNs out), each value with its case and runs of white space folded, whatever its string type.
 *   OpenSSL's lookup does not check keyUsage: cross-certificates without keyCertSign loop too;
 * - a certificate whose names cannot be read here, or hold a value that is not read as text (BER's constructed
 *   strings, say), may follow from, and lead to, any other.
 */
import type { X509Certificate } from 'node:crypto';
import { certificateParts } from './certificate-der.js';
import { readCertificateNames, type Rdn } from './x509-names.js';

interface Node {
  /** The names as compared here (canonical()); undefined when they cannot be read (matches every name). */
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
  readonly authorityKeyId: Buffer | undefined;
  readonly subjectKeyId: Buffer | undefined;
}

/** A name as compared here (see above); undefined when a value did not read as text, so the name may be any. */
function canonical(rdns: readonly Rdn[]): string | undefined {
  const attributes: string[] = [];
  for (const rdn of rdns) {
    for (const { type, value, unread } of rdn) {
      if (unread === true) return undefined;
      attributes.push(JSON.stringify([type, value.replace(/[ \t\n\v\f\r]+/g, ' ').trim().toLowerCase()]));
    }
  }
  return attributes.sort().join();
}

/**
 * The certificate's subject and issuer as compared here: equal wherever OpenSSL's names are equal (and sometimes
 * where they are not); undefined where a name cannot be read, and may be any.
 */
export function comparableNames(cert: X509Certificate): { readonly subject: string | undefined; readonly issuer: string | undefined } {
  try {
    const names = readCertificateNames(cert.raw);
    return { subject: canonical(names.subject), issuer: canonical(names.issuer) };
  } catch {
    return { subject: undefined, issuer: undefined };
  }
}

function nodeOf(cert: X509Certificate): Node {
  const parts = certificateParts(cert.raw);
  return {
    ...comparableNames(cert),
    authorityKeyId: parts !== undefined && parts.authorityKeyId !== 'complex' ? parts.authorityKeyId : undefined,
    subjectKeyId: parts?.subjectKeyId,
  };
}

/** Whether OpenSSL's issuer lookup may take `candidate` for the issuer of `cert`. */
function mayFollow(cert: Node, candidate: Node): boolean {
  if (cert.issuer !== undefined && candidate.subject !== undefined && cert.issuer !== candidate.subject) return false;
  const { authorityKeyId: akid } = cert;
  const { subjectKeyId: skid } = candidate;
  return akid === undefined || skid === undefined || akid.equals(skid);
}

/** Whether the truststore holds a loop that Node's chain linking may follow (see above). */
export function hasIssuerLoop(anchors: readonly X509Certificate[]): boolean {
  // Where the walk stops, it cannot go round. OpenSSL's store keeps one copy of a certificate added twice.
  const unique = new Map(anchors.map((cert) => [cert.raw.toString('base64'), cert]));
  const walking = [...unique.values()].filter((cert) => !cert.checkIssued(cert));
  const nodes = walking.map(nodeOf);
  const bySubject = new Map<string, number[]>();
  const unnamed: number[] = [];
  nodes.forEach((node, i) => {
    if (node.subject === undefined) unnamed.push(i);
    else {
      const same = bySubject.get(node.subject);
      if (same === undefined) bySubject.set(node.subject, [i]);
      else same.push(i);
    }
  });
  const next = (i: number): number[] => {
    const node = nodes[i] as Node;
    const named = node.issuer === undefined ? nodes.map((_, j) => j) : [...(bySubject.get(node.issuer) ?? []), ...unnamed];
    // OpenSSL handing a certificate back as its own issuer ends Node's walk.
    return named.filter((j) => j !== i && mayFollow(node, nodes[j] as Node));
  };
  // A cycle among the certificates that do not end the walk, found depth first without recursion.
  const state = new Uint8Array(nodes.length); // 0 unseen, 1 on the current path, 2 done
  for (let start = 0; start < nodes.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { readonly at: number; readonly targets: number[] }[] = [{ at: start, targets: next(start) }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { at: number; targets: number[] };
      const target = top.targets.pop();
      if (target === undefined) {
        state[top.at] = 2;
        stack.pop();
      } else if (state[target] === 1) {
        return true;
      } else if (state[target] === 0) {
        state[target] = 1;
        stack.push({ at: target, targets: next(target) });
      }
    }
  }
  return false;
}

/**
 * `<access-constraint>`: which clients a service admits, decided before the WebSocket upgrade.
 *
 * No constraint admits every client that passed TLS. With constraints, a client is admitted when any one holds;
 * a constraint holds when each of its conditions holds; a condition given several values holds when any value
 * matches. Certificate conditions (subject, SAN, fingerprint, path identity) look only at a verified certificate,
 * so a client with none, or with one that did not verify (`ssl.verify-client optional`), fails them; an address
 * condition alone can still admit it.
 *
 * Everything is parsed once, at config load, so a typo stops the gateway from starting instead of refusing
 * clients at run time.
 */
import { isIP } from 'node:net';
import { GatewayError, formatPosition, type SourcePosition } from '../errors.js';
import { compileAddressList } from './cidr.js';
import { normalizeFingerprint } from './fingerprint.js';
import { firstSegmentAfter, parsePathIdentity, pathIdentityValues } from './path-identity.js';
import { parseSanPattern, sanMatches } from './san.js';
import { normalizeSubjectAttributes, parseSubjectPattern, subjectMatches } from './subject.js';
import type { AccessIdentity } from './types.js';

import type { AccessConstraintConfig } from '../config/types.js';

export type { AccessIdentity } from './types.js';

/** One `<access-constraint>` as the config module read it (values as written; each array: any of its values). */
export type AccessConstraint = AccessConstraintConfig;

export interface AccessRequest {
  /** The client's certificate as the TLS layer judged it; undefined on a plain (ws://) connection. */
  identity: AccessIdentity | undefined;
  /** The client's address: the socket's peer, or the one a trusted PROXY protocol header carried. */
  address: string;
  /** The path of the accept the request was routed to, without a trailing slash (`/` for the root). */
  acceptPath: string;
  /** The request target's path (a query string is ignored). */
  requestPath: string;
}

export interface AccessRules {
  /** No constraint: every client that passed TLS is admitted. */
  readonly empty: boolean;
  /** Undefined when admitted, else a one-line reason naming the client and the conditions that failed. */
  check(req: AccessRequest): string | undefined;
}

/** What one condition sees: the certificate only when verified, the subject attributes normalised once. */
interface CheckContext {
  readonly req: AccessRequest;
  readonly certificate: AccessIdentity | undefined;
  readonly attributes: () => ReadonlyMap<string, readonly string[]>;
}

interface Condition {
  /** The element name, for reasons. */
  readonly name: string;
  readonly needsCertificate: boolean;
  /** Undefined when it holds, else why not. Called only with a certificate when `needsCertificate`. */
  failure(ctx: CheckContext): string | undefined;
}

interface CompiledConstraint {
  readonly position: SourcePosition;
  readonly conditions: readonly Condition[];
}

/**
 * @throws GatewayError GW_ERR_CONFIG_VALUE naming the first bad value and the constraint's position;
 *   GW_ERR_CONFIG_MISSING for a constraint without any condition (it would admit everyone, hiding the others).
 */
export function compileAccessRules(constraints: readonly AccessConstraint[]): AccessRules {
  const compiled = constraints.map(compileConstraint);
  return {
    empty: compiled.length === 0,
    check(req: AccessRequest): string | undefined {
      if (compiled.length === 0) return undefined;
      const certificate = req.identity?.presented === true && req.identity.verified ? req.identity : undefined;
      let attributes: ReadonlyMap<string, readonly string[]> | undefined;
      const ctx: CheckContext = {
        req,
        certificate,
        attributes: () => (attributes ??= normalizeSubjectAttributes(certificate?.subjectAttributes ?? {})),
      };
      const failures: string[] = [];
      for (const constraint of compiled) {
        const failed = constraintFailures(constraint, ctx);
        if (failed.length === 0) return undefined;
        failures.push(`access-constraint at ${formatPosition(constraint.position)}: ${failed.join(', ')}`);
      }
      return `${describeClient(req)} refused: ${failures.join('; ')}`;
    },
  };
}

function constraintFailures(constraint: CompiledConstraint, ctx: CheckContext): string[] {
  const failed: string[] = [];
  const needCertificate: string[] = [];
  for (const condition of constraint.conditions) {
    if (condition.needsCertificate && ctx.certificate === undefined) {
      needCertificate.push(condition.name);
      continue;
    }
    const why = condition.failure(ctx);
    if (why !== undefined) failed.push(why);
  }
  if (needCertificate.length > 0) failed.unshift(`no verified client certificate for ${needCertificate.join(', ')}`);
  return failed;
}

function compileConstraint(c: AccessConstraint): CompiledConstraint {
  const conditions: Condition[] = [];
  const position = c.position;
  if (c.subjects.length > 0) {
    const patterns = c.subjects.map((s) => parseSubjectPattern(s, position));
    conditions.push({
      name: 'client-subject',
      needsCertificate: true,
      failure: (ctx) =>
        patterns.some((p) => subjectMatches(p, ctx.attributes()))
          ? undefined
          : `client-subject: no match for ${alternatives(patterns.map((p) => p.text))}`,
    });
  }
  if (c.sans.length > 0) {
    const patterns = c.sans.map((s) => parseSanPattern(s, position));
    conditions.push({
      name: 'client-san',
      needsCertificate: true,
      failure: (ctx) => {
        const sans = ctx.certificate?.sans ?? [];
        if (patterns.some((p) => sanMatches(p, sans))) return undefined;
        const held = sans.length === 0 ? 'no SAN' : sans.map((s) => quote(`${s.type}:${s.value}`)).join(', ');
        return `client-san: no match for ${alternatives(patterns.map((p) => p.text))} (the certificate has ${held})`;
      },
    });
  }
  if (c.fingerprints.length > 0) {
    const pins = new Set(c.fingerprints.map((f) => normalizeFingerprint(f, position)));
    conditions.push({
      name: 'client-fingerprint',
      needsCertificate: true,
      failure: (ctx) => {
        const fp = ctx.certificate?.fingerprint256?.toUpperCase();
        if (fp !== undefined && pins.has(fp)) return undefined;
        return `client-fingerprint: ${fp === undefined ? 'the certificate has no fingerprint' : `${fp} is not listed`}`;
      },
    });
  }
  if (c.addresses.length > 0) {
    const list = compileAddressList(c.addresses, '<client-address>', position);
    conditions.push({
      name: 'client-address',
      needsCertificate: false,
      failure: (ctx) =>
        list.contains(ctx.req.address)
          ? undefined
          : `client-address: ${printableAddress(ctx.req.address)} is not in ${list.entries.join(' or ')}`,
    });
  }
  if (c.pathIdentity !== undefined) {
    const source = parsePathIdentity(c.pathIdentity, position);
    const label = source.kind === 'san' ? `SAN:${source.type}` : source.text;
    conditions.push({
      name: 'path-identity',
      needsCertificate: true,
      failure: (ctx) => {
        const found = firstSegmentAfter(ctx.req.acceptPath, ctx.req.requestPath);
        if ('problem' in found) return `path-identity ${label}: ${found.problem}`;
        const values = ctx.certificate ? pathIdentityValues(source, ctx.certificate) : [];
        // A CN is the one name of its subject: a certificate with several (from a CA that signs the names a request
        // asks for) would own several devices' URLs, an `admin` among them. Attributes meant to repeat (OU) and SANs
        // list every name of a device by design: any of them may be its URL.
        if (source.kind === 'subject' && source.attribute === 'CN' && values.length > 1) return `path-identity ${label}: the certificate holds ${values.length} ${label} values (${values.map(quote).join(', ')}), so which URL is its own cannot be told`;
        if (values.includes(found.segment)) return undefined;
        if (values.length === 0) return `path-identity ${label}: the certificate has no ${label}`;
        return `path-identity ${label}: the path segment ${quote(found.segment)} is not the certificate's ${label} ${alternatives(values)}`;
      },
    });
  }
  if (conditions.length === 0) {
    throw new GatewayError('GW_ERR_CONFIG_MISSING', 'an <access-constraint> has no condition', {
      position,
      hint: 'give it at least one of client-subject, client-san, client-fingerprint, client-address, path-identity',
    });
  }
  return { position, conditions };
}

/** `client 10.1.2.3 (certificate "CN=device-1, O=Acme")`: who, as far as the gateway knows. */
function describeClient(req: AccessRequest): string {
  const who = `client ${printableAddress(req.address)}`;
  const id = req.identity;
  if (id === undefined || !id.presented) return `${who} (no certificate)`;
  const subject = quote(subjectText(id));
  if (!id.verified) return `${who} (certificate ${subject} not verified: ${id.error ?? 'no reason given'})`;
  return `${who} (certificate ${subject})`;
}

function subjectText(id: AccessIdentity): string {
  if (id.subject !== undefined) return id.subject.split(/\r?\n/).filter((s) => s !== '').join(', ');
  return Object.entries(id.subjectAttributes)
    .flatMap(([name, values]) => values.map((v) => `${name}=${v}`))
    .join(', ');
}

/** `"a"` or `"a" or "b"`. */
function alternatives(values: readonly string[]): string {
  return values.map(quote).join(' or ');
}

/** JSON quoting keeps a reason on one line whatever a certificate or URL holds (no log-line injection). */
function quote(s: string): string {
  return JSON.stringify(s);
}

function printableAddress(address: string): string {
  return isIP(address) !== 0 ? address : quote(address);
}

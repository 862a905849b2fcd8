/**
 * A realm ready to serve: its login modules built from their files (read once, when the gateway is prepared,
 * except the token directory, which is looked at on every login), and the decision a service with a `realm-name`
 * makes about one request:
 *
 * - `ssl.verify-client optional`: a verified client certificate passes by itself where the service has no
 *   authorization-constraint (a certificate carries no role); a client without one, or where one is set, must pass
 *   the realm and hold the roles.
 * - `required` (the TLS layer already insisted on a certificate) and `none`: the realm, then the roles.
 * - A client that presented a verified certificate to a realm with a certificate-ticket module is given a ticket
 *   in the realm's first `http-cookie` (`Secure; HttpOnly; SameSite=Strict`, host-only, so it is sent to every
 *   port of the same host).
 *
 * Refusals: 401 with the realm's challenge when it was not passed, 403 when it was but a role is missing.
 */
import { statSync } from 'node:fs';
import { serialize } from 'cookie';
import type { AuthorizationConstraintConfig, RealmConfig, VerifyClient } from '../../config/types.js';
import { AggregateGatewayError, GatewayError, toGatewayError } from '../../errors.js';
import { certificateTicketLoginModule, type CertificateTicketModule } from './certificate-ticket.js';
import { readCredentials, type RealmRequest } from './credentials.js';
import { fileLoginModule, parseBasic } from './file.js';
import { LIMIT, LoginFailures, WINDOW_MS } from './failures.js';
import { runChain } from './jaas.js';
import { loadSecrets } from './secrets.js';
import type { IssuedTicket, TicketIdentity } from './ticket.js';
import { tokenDirectoryLoginModule } from './token-directory.js';
import type { LoginModule, Principal } from './types.js';
import { loadUsersFile } from './users-file.js';

export type { RealmRequest } from './credentials.js';

/** What a request is answered: the WebSocket upgrade or a plain request to an HTTP service. */
export type RequestKind = 'websocket' | 'http';

export interface Realm {
  readonly config: RealmConfig;
  readonly modules: readonly LoginModule[];
  /** Set when the realm has a certificate-ticket module: it issues the tickets. */
  readonly ticketModule: CertificateTicketModule | undefined;
  /** The failed logins of each client address (failures.ts). */
  readonly failures: LoginFailures;
}

export type RealmDecision =
  | {
      readonly ok: true;
      /** `certificate`: a verified certificate passed by itself (verify-client optional); `realm`: the login modules. */
      readonly by: 'certificate' | 'realm';
      readonly principal: Principal | undefined;
      readonly roles: readonly string[];
      /** Set when a certificate ticket admitted the client: the certificate it stands for. */
      readonly ticketIdentity: TicketIdentity | undefined;
      /** A `Set-Cookie` value carrying a fresh certificate ticket, for the response. */
      readonly setCookie: string | undefined;
      /** Why a verified certificate was given no ticket where the realm issues them, for the log. */
      readonly ticketNotIssued?: string | undefined;
    }
  | {
      readonly ok: false;
      /** 429: too many wrong passwords from the client's address (failures.ts). */
      readonly status: 401 | 403 | 429;
      /** For the log: never a password, ticket or token. */
      readonly reason: string;
      /** The `WWW-Authenticate` value of a 401. */
      readonly challenge: string | undefined;
      /**
       * A 401 to a request that offered no credentials at all (no Authorization, token or certificate): the first
       * step of HTTP authentication, which a browser takes before every login, rather than a refusal.
       */
      readonly challenged?: boolean;
      readonly principal: Principal | undefined;
      /** With 429: the seconds before the address may try again (`Retry-After`). */
      readonly retryAfterS?: number;
    };

/** Builds a realm's modules, reading their files. @throws GatewayError GW_ERR_REALM_FILE at the login module. */
export function prepareRealm(config: RealmConfig, now: () => number = Date.now): Realm {
  let ticketModule: CertificateTicketModule | undefined;
  // Every module's file is read, and each one's problem told, so that one round of `check` lists them all.
  const failures: GatewayError[] = [];
  const modules = config.loginModules.flatMap((m): LoginModule[] => {
    try {
      switch (m.type) {
        case 'file':
          return [fileLoginModule(loadUsersFile(m.file), m.success)];
        case 'certificate-ticket':
          ticketModule = certificateTicketLoginModule({ realm: config.name, secrets: loadSecrets(m.secretFile), maxAgeS: m.maxAgeS, success: m.success, now });
          return [ticketModule];
        case 'token-directory':
          checkDirectory(m.directory);
          return [tokenDirectoryLoginModule(m.directory, m.success)];
      }
    } catch (e) {
      // The login module's element is where a user looks first; the file's own line:col stays in the message.
      const error = toGatewayError(e, 'GW_ERR_REALM_FILE', `realm "${config.name}"`);
      failures.push(new GatewayError(error.code, `realm "${config.name}": ${error.message}`, { position: m.position, hint: error.hint, cause: error }));
      return [];
    }
  });
  if (failures.length > 0) throw failures.length === 1 ? failures[0] : new AggregateGatewayError('GW_ERR_REALM_FILE', failures);
  return { config, modules, ticketModule, failures: new LoginFailures(now) };
}

function checkDirectory(directory: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch (e) {
    throw new GatewayError('GW_ERR_REALM_FILE', `Cannot read the token directory ${directory}: ${(e as Error).message}`, { cause: e });
  }
  if (!isDirectory) throw new GatewayError('GW_ERR_REALM_FILE', `The token directory ${directory} is not a directory`);
}

/** Kaazing's `WWW-Authenticate` for the realm's scheme; an HTTP service gets `Basic` for `Application Basic`, as Kaazing's directory service did. */
export function challengeFor(config: RealmConfig, kind: RequestKind): string {
  if (config.challengeScheme === 'Application Token') return 'Application Token';
  const scheme = config.challengeScheme === 'Application Basic' && kind === 'websocket' ? 'Application Basic' : 'Basic';
  const label = (config.description ?? config.name).replace(/[\\"]/g, (c) => `\\${c}`);
  return `${scheme} realm="${label}"`;
}

/** The roles the service requires that the client lacks; empty when it holds them all. */
export function missingRoles(authorization: AuthorizationConstraintConfig | undefined, roles: readonly string[]): string[] {
  return (authorization?.requireRoles ?? []).filter((r) => !roles.includes(r));
}

export interface DecisionInput {
  readonly realm: Realm;
  readonly authorization: AuthorizationConstraintConfig | undefined;
  readonly verifyClient: VerifyClient;
  readonly request: RealmRequest;
  readonly kind: RequestKind;
}

export async function decide(input: DecisionInput): Promise<RealmDecision> {
  const { realm, request } = input;
  const credentials = readCredentials(realm.config, request);
  const certificate = credentials.certificate;
  // Without an http-cookie the realm has nowhere to set a ticket: none is made.
  const issued = certificate !== undefined && realm.ticketModule !== undefined && realm.config.httpCookies.length > 0 ? realm.ticketModule.issue(certificate, credentials.chain()) : undefined;
  const setCookie = ticketCookie(realm, issued);
  const ticketNotIssued = issued?.ticket === undefined ? issued?.reason : undefined;
  // Where the service has an authorization-constraint (a role, or require-valid-user: a user of the realm), a
  // certificate cannot stand for the realm: it grants no role, and admitting it would let any device through a
  // service kept for, say, ADMIN holders (Kaazing's realms never took a certificate for their credentials at all).
  if (certificate !== undefined && input.verifyClient === 'optional' && input.authorization === undefined) {
    return { ok: true, by: 'certificate', principal: undefined, roles: [], ticketIdentity: undefined, setCookie, ticketNotIssued };
  }
  // A password (failures.ts): held after too many wrong ones from its address, and counted before it is checked.
  const password = parseBasic(credentials.authorization) !== undefined;
  if (password) {
    const wait = realm.failures.waitFor(request.address);
    if (wait > 0) {
      const retryAfterS = Math.ceil(wait / 1000);
      return { ok: false, status: 429, reason: `${LIMIT} wrong passwords from ${request.address} within ${WINDOW_MS / 1000} s: passwords refused for ${retryAfterS} s more`, challenge: undefined, principal: undefined, retryAfterS };
    }
    realm.failures.trying(request.address);
  }
  let passwordChecked = false;
  let passwordWrong = false;
  const outcome = await runChain(realm.modules, credentials, (module, ok) => {
    if (module.type !== 'file') return;
    passwordChecked = true;
    passwordWrong ||= !ok;
  });
  // The try is taken back where the password was not checked (another module ended the chain first), or was right
  // and the realm passed. Where it was checked and the realm refused, it stays counted even if it was right: taking
  // it back would tell a guesser which password was right in a realm that also asks for a token.
  if (password && (!passwordChecked || (outcome.ok && !passwordWrong))) realm.failures.passed(request.address);
  if (!outcome.ok) {
    // A certificate is not one of the realm's credentials: where it would pass (verify-client optional) it has.
    const offered = credentials.authorization !== undefined || credentials.tokens.length > 0;
    return { ok: false, status: 401, reason: outcome.reason, challenge: challengeFor(realm.config, input.kind), challenged: !offered, principal: undefined };
  }
  const missing = missingRoles(input.authorization, outcome.roles);
  if (missing.length > 0) {
    const held = outcome.roles.length === 0 ? 'no role' : `roles ${outcome.roles.join(', ')}`;
    return { ok: false, status: 403, reason: `"${outcome.principal.name}" holds ${held}; the service requires ${missing.join(', ')}`, challenge: undefined, principal: outcome.principal };
  }
  const ticketIdentity = outcome.principals.find((p) => p.certificate !== undefined)?.certificate;
  return { ok: true, by: 'realm', principal: outcome.principal, roles: outcome.roles, ticketIdentity, setCookie, ticketNotIssued };
}

function ticketCookie(realm: Realm, issued: IssuedTicket | undefined): string | undefined {
  const name = realm.config.httpCookies[0];
  if (name === undefined || issued?.ticket === undefined) return undefined;
  // Kept by the browser for as long as the ticket lasts, which its certificate's end may make shorter than max-age.
  return serialize(name, issued.ticket, { path: '/', maxAge: issued.lifetimeS, secure: true, httpOnly: true, sameSite: 'strict' });
}

/**
 * The `certificate-ticket` login module. A client that presents a verified certificate passes by it (the realm
 * then gives it a ticket for its cookie: realm.ts); a client without a certificate passes with a valid ticket, as
 * the certificate the ticket was issued for. The principal has no roles: a certificate proves who, not what for.
 */
import type { LoginModuleFlag } from '../../config/types.js';
import { issueTicket, looksLikeTicket, ticketRefusal, verifyTicket, type IssuedTicket, type TicketChain, type TicketSource } from './ticket.js';
import type { Credentials, LoginModule, LoginOutcome } from './types.js';

export interface TicketModuleOptions {
  readonly realm: string;
  /** The first signs; all verify. */
  readonly secrets: readonly Buffer[];
  readonly maxAgeS: number;
  readonly success: LoginModuleFlag;
  /** Injected for tests. */
  readonly now?: () => number;
}

export interface CertificateTicketModule extends LoginModule {
  /**
   * A new ticket for a certificate verified along `chain`, signed with the first secret, and how many seconds it
   * lasts; or why none can be issued for it (issueTicket).
   */
  issue(certificate: TicketSource, chain: TicketChain | undefined): IssuedTicket;
  readonly maxAgeS: number;
}

export function certificateTicketLoginModule(options: TicketModuleOptions): CertificateTicketModule {
  const now = options.now ?? Date.now;
  const signer = options.secrets[0];
  if (signer === undefined) throw new TypeError('a certificate-ticket module needs a secret');
  return {
    type: 'certificate-ticket',
    success: options.success,
    maxAgeS: options.maxAgeS,
    issue: (certificate, chain) => issueTicket(certificate, chain, options.realm, signer, now(), options.maxAgeS),
    login(credentials: Credentials): Promise<LoginOutcome> {
      const certificate = credentials.certificate;
      if (certificate?.fingerprint256 !== undefined) {
        return Promise.resolve({ ok: true, principal: { name: certificate.subject ?? certificate.fingerprint256, roles: [], module: 'certificate-ticket' } });
      }
      // A token that is no ticket may be another module's (a token directory's): said, not named.
      let reason = credentials.tokens.length === 0 ? 'no client certificate and no certificate ticket' : `no client certificate, and none of the ${credentials.tokens.length} tokens sent is a certificate ticket`;
      if (!credentials.secure) return Promise.resolve({ ok: false, reason: 'a certificate ticket is only taken over TLS' });
      for (const token of credentials.tokens) {
        if (!looksLikeTicket(token.value)) continue;
        const check = verifyTicket(token.value, options.realm, options.secrets, now(), options.maxAgeS);
        if (!check.ok) {
          reason = `${check.reason} (${token.source})`;
          continue;
        }
        const id = check.identity;
        // Judged as the certificate would be now: a device revoked, or its CA no longer trusted, since the ticket was issued.
        const failure = credentials.judgeTicket(id.chain);
        if (failure !== undefined) {
          reason = `${ticketRefusal(id.subject ?? id.fingerprint256, failure)} (${token.source})`;
          continue;
        }
        return Promise.resolve({ ok: true, principal: { name: id.subject ?? id.fingerprint256, roles: [], module: 'certificate-ticket', certificate: id } });
      }
      return Promise.resolve({ ok: false, reason });
    },
  };
}

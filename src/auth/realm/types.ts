/**
 * What a login module is given and what it answers. A module is a function from a request's credentials to a
 * principal with roles, or a failure with a reason for the log; the chain (jaas.ts) combines the answers.
 */
import type { LoginModuleFlag } from '../../config/types.js';
import type { AccessIdentity } from '../types.js';
import type { TicketChain, TicketIdentity } from './ticket.js';

/** The parts of a request that can carry credentials, read once per request (credentials.ts). */
export interface Credentials {
  /** The `Authorization` header as sent. */
  readonly authorization: string | undefined;
  /**
   * Candidate tokens from the realm's `http-header`s, `http-query-parameter`s and `http-cookie`s, in that order,
   * then from `Authorization: Bearer|Token …`. `source` names where each came from, for the log (never the value).
   */
  readonly tokens: readonly { readonly source: string; readonly value: string }[];
  /**
   * Whether the request came over TLS. A certificate ticket is only taken over TLS: its cookie is `Secure`, so one
   * sent in the clear has leaked, and a plain accept's clients present no certificate for it to stand for.
   */
  readonly secure: boolean;
  /** The client certificate, only when the TLS layer verified it. */
  readonly certificate: (AccessIdentity & { readonly serialNumber?: string | undefined }) | undefined;
  /** The verified certificate's chain, for its ticket (RealmRequest). */
  readonly chain: () => TicketChain | undefined;
  /** Why a ticket is not honoured now (RealmRequest). */
  readonly judgeTicket: (chain: TicketChain) => string | undefined;
}

export interface Principal {
  /** Who passed, as logs show it: a user name, a certificate subject, or a token's digest (never the token). */
  readonly name: string;
  readonly roles: readonly string[];
  /** The login module type that authenticated it. */
  readonly module: string;
  /** Set by certificate-ticket when a ticket admitted the client: the certificate it stands for. */
  readonly certificate?: TicketIdentity;
}

export type LoginOutcome = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

export interface LoginModule {
  readonly type: string;
  readonly success: LoginModuleFlag;
  login(credentials: Credentials): Promise<LoginOutcome>;
}

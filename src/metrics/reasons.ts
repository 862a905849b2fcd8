/**
 * The refusal reason (types.ts) for why a client certificate was refused, from the text tls/identity gives
 * (`CERT_HAS_EXPIRED: certificate has expired …`): OpenSSL's verify codes grouped into the few words a dashboard
 * shows.
 */
import type { RefusalReason } from './types.js';

const BY_CODE: Readonly<Record<string, RefusalReason>> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_REVOKED: 'revoked',
  CERT_CHAIN_TOO_LONG: 'depth',
  PATH_LENGTH_EXCEEDED: 'depth',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown_ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown_ca',
  CERT_UNTRUSTED: 'unknown_ca',
};

export function certificateRefusal(reason: string): RefusalReason {
  if (reason === 'no client certificate sent') return 'no_certificate';
  const code = reason.split(':')[0] ?? reason;
  return BY_CODE[code] ?? 'certificate';
}

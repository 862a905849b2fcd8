/**
 * `<client-fingerprint>`: a certificate pinned by its SHA-256, written as keytool prints it
 * (`SHA256: AB:CD:…`, colon hex) or as plain hex (`openssl x509 -fingerprint` output without colons, or
 * `sha256sum` of the DER file). Normalised to the identity's form, upper-case colon hex, so matching is string
 * equality.
 */
import { GatewayError, type SourcePosition } from '../errors.js';

export function normalizeFingerprint(text: string, position?: SourcePosition): string {
  const body = text.trim().replace(/^SHA-?256\s*(?:Fingerprint)?\s*[:=]\s*/i, '');
  const hex = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*$/.test(body) ? body.replace(/:/g, '') : body;
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length !== 64) {
    const bytes = /^[0-9A-Fa-f]*$/.test(hex) ? ` (it has ${hex.length / 2} bytes)` : '';
    throw new GatewayError(
      'GW_ERR_CONFIG_VALUE',
      `<client-fingerprint> "${text}" is not a SHA-256 fingerprint: it must be 32 bytes of hex${bytes}`,
      { position, hint: 'copy the SHA256 line of `keytool -list -v` or `openssl x509 -noout -fingerprint -sha256`' },
    );
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

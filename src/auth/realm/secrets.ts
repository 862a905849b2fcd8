/**
 * The `secret-file` of a certificate-ticket login module: one secret per line, the first signs new tickets and
 * every one verifies, so a secret is rotated by adding the new one as the first line and dropping the old one once
 * the tickets it signed have expired. Blank lines and lines starting with `#` are skipped.
 */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../errors.js';

/** Short secrets can be guessed offline from one ticket; 32 characters is `openssl rand -hex 16` or more. */
export const MINIMUM_SECRET_LENGTH = 32;

export function parseSecrets(text: string, file: string): Buffer[] {
  const secrets: Buffer[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // The secret itself is never put in a message.
    if (line.length < MINIMUM_SECRET_LENGTH) {
      throw new GatewayError('GW_ERR_REALM_FILE', `The secret on line ${i + 1} of ${file} is ${line.length} characters long: a ticket secret needs at least ${MINIMUM_SECRET_LENGTH}`, {
        position: { file, line: i + 1, column: 1 },
        hint: 'make one with: openssl rand -hex 32',
      });
    }
    secrets.push(Buffer.from(line, 'utf8'));
  }
  if (secrets.length === 0) {
    throw new GatewayError('GW_ERR_REALM_FILE', `The secret file ${file} holds no secret`, { position: { file }, hint: 'make one with: openssl rand -hex 32 > ' + file });
  }
  return secrets;
}

export function loadSecrets(file: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatewayError('GW_ERR_REALM_FILE', `Cannot read the ticket secret file ${file}: ${(e as Error).message}`, { position: { file }, cause: e });
  }
  return parseSecrets(text, file);
}

/**
 * `<http.header>NAME: TEMPLATE</http.header>` (connect-options, repeatable): a header sent to a ws:// or wss://
 * backend with the upgrade request, its value a template over what the gateway knows of the client.
 */
import { GatewayError } from '../errors.js';
import type { HttpHeaderConfig, SourcePosition } from './types.js';

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHttpHeader(text: string, position: SourcePosition): HttpHeaderConfig {
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid <http.header> "${text}": expected NAME: TEMPLATE`, { hint: 'for example clientId: {ssl.client.CN}' });
  }
  const name = text.slice(0, colon).trim();
  if (!TOKEN.test(name)) throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid <http.header> name "${name}": a header name is letters, digits and !#$%&'*+.^_\`|~-`);
  return { name, template: text.slice(colon + 1).trim(), position };
}

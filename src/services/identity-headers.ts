/**
 * The `<http.header>` values for one client: each template of the service's connect-options filled in with what
 * the gateway knows of the client (its address, SNI name and certificate), ready to be sent with the upgrade
 * request to a ws:// or wss:// backend. docs/configuration.md describes the variables.
 *
 * Two rules keep a header from ever misleading the backend:
 * - a header whose variables are all empty is left out rather than sent with only its literal text, so a backend
 *   can tell "no certificate" from a certificate with an odd name (a header with no variable is always sent);
 * - a value that would carry a control character is refused: left out and reported with the header's name and
 *   why, never the value, since a CR or LF from a certificate could otherwise start a header of its own.
 * Certificate facts come only from a certificate the gateway verified: a backend that trusts `clientId` must not
 * be told a name anyone can put in a self-signed certificate.
 */
import type { HttpHeaderConfig, TemplatePart } from '../config/types.js';
import { codePoint, forbiddenCharacter } from '../config/http-header.js';
import type { ClientIdentity } from '../tls/identity.js';

/**
 * What the gateway knows of a client when it connects to the backend for it. The names are those of
 * ConnectionContext, so a service passes its context as it is.
 */
export interface ClientFacts {
  /** The client as a trusted PROXY header names it, else the socket peer. */
  readonly downstreamAddress: string;
  readonly downstreamPort: number;
  /** The SNI name the client sent; undefined on plain accepts or when it sent none. */
  readonly servername: string | undefined;
  /** The TLS client identity, with the DER of its certificate and chain; undefined on plain accepts. */
  readonly identity: ClientIdentity | undefined;
}

/** A header left out because its value could not be sent: never holds the value. */
export interface RefusedHeader {
  readonly name: string;
  readonly reason: string;
}

export interface IdentityHeaders {
  /**
   * Header name (as configured) → value, in configuration order, on an object without a prototype. Values are
   * what node:http writes byte for byte: characters beyond ASCII are their UTF-8 bytes, one latin1 character
   * each, which is what node:http's validation and framing expect.
   */
  readonly headers: Record<string, string>;
  readonly refused: readonly RefusedHeader[];
}

const ASCII = /^[\x00-\x7f]*$/;
const SURROUNDING_SPACE = /^[ \t]+|[ \t]+$/g;

/** RFC 9440 §2.1: a certificate as a Structured Field Byte Sequence, `:` base64 of its DER `:`. */
function byteSequence(der: Buffer): string {
  return `:${der.toString('base64')}:`;
}

function certificateFact(part: Exclude<TemplatePart, { kind: 'text' }>, id: ClientIdentity): string {
  if (part.kind === 'attribute') return id.subjectAttributes[part.attribute]?.join(', ') ?? '';
  switch (part.variable) {
    case 'ssl.client.subject':
      return id.subject ?? '';
    case 'ssl.client.fingerprint':
      return id.fingerprint256 ?? '';
    case 'ssl.client.serial':
      return id.serialNumber ?? '';
    case 'ssl.client.cert':
      return id.certificateDer === undefined ? '' : byteSequence(id.certificateDer);
    case 'ssl.client.chain':
      // An RFC 8941 List: members separated by a comma and a space, as its serialisation writes them.
      return id.chainDer.map(byteSequence).join(', ');
    default:
      return '';
  }
}

function variableValue(part: Exclude<TemplatePart, { kind: 'text' }>, client: ClientFacts): string {
  if (part.kind === 'variable') {
    switch (part.variable) {
      case 'client.address':
        return client.downstreamAddress;
      case 'client.port':
        return String(client.downstreamPort);
      case 'sni':
        return client.servername ?? '';
      case 'ssl.client.verified':
        return client.identity?.presented === true && client.identity.verified ? 'true' : 'false';
      default:
        break;
    }
  }
  const id = client.identity;
  return id !== undefined && id.presented && id.verified ? certificateFact(part, id) : '';
}

function describe(part: TemplatePart): string {
  if (part.kind === 'text') return 'the template text';
  return part.kind === 'variable' ? `{${part.variable}}` : `{ssl.client.${part.attribute}}`;
}

/**
 * The templates without a variable (an API key, say), which are the same for every client: what a connection
 * opened before its client is known (a prepared connection, a recovery probe) is sent. Never throws.
 */
export function staticIdentityHeaders(templates: readonly HttpHeaderConfig[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const template of templates) {
    if (template.parts.some((part) => part.kind !== 'text')) continue;
    const result = render(template.parts, undefined);
    if (result !== undefined && 'value' in result) headers[template.name] = result.value;
  }
  return headers;
}

/** The value of one template, undefined when it is left out, or the reason it is refused; no client, no variables. */
function render(parts: readonly TemplatePart[], client: ClientFacts | undefined): { value: string } | { reason: string } | undefined {
  let value = '';
  let variables = 0;
  let filled = 0;
  let reason: string | undefined;
  for (const part of parts) {
    const piece = part.kind === 'text' ? part.text : client === undefined ? '' : variableValue(part, client);
    if (part.kind !== 'text') {
      variables++;
      if (piece !== '') filled++;
    }
    const bad = forbiddenCharacter(piece);
    if (bad !== undefined) reason ??= `${describe(part)} holds the control character ${codePoint(bad)}`;
    value += piece;
  }
  if (variables > 0 && filled === 0) return undefined;
  if (reason !== undefined) return { reason };
  // A recipient strips the spaces around a field value (RFC 9110 §5.5): strip them here so what is sent is what
  // is read.
  value = value.replace(SURROUNDING_SPACE, '');
  return { value: ASCII.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1') };
}

/**
 * Fills in the service's `<http.header>` templates for one client. Never throws. `forwardedHeaders` removes every
 * configured name from the client's own headers, so the two results spread into one object without a clash.
 */
export function renderIdentityHeaders(templates: readonly HttpHeaderConfig[], client: ClientFacts): IdentityHeaders {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const refused: RefusedHeader[] = [];
  for (const template of templates) {
    const result = render(template.parts, client);
    if (result === undefined) continue;
    if ('reason' in result) refused.push({ name: template.name, reason: result.reason });
    else headers[template.name] = result.value;
  }
  return { headers, refused };
}

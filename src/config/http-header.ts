/**
 * `<http.header>NAME: TEMPLATE</http.header>` (connect-options, repeatable): a header sent to a ws:// or wss://
 * backend with the upgrade request, its value a template over what the gateway knows of the client. The template
 * is parsed here, once, so that a typo is an error at its line rather than an empty header at run time.
 *
 * Grammar: literal text and `{variable}`s; `{{` is a literal `{`; a `}` outside a variable is literal.
 */
import { GatewayError } from '../errors.js';
import { attempt, describePosition, type Diagnostics } from './diagnostics.js';
import type { HeaderVariable, HttpHeaderConfig, SourcePosition, TemplatePart } from './types.js';
import { nearestName } from './vocabulary.js';

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const VARIABLES: readonly HeaderVariable[] = [
  'client.address',
  'client.port',
  'sni',
  'ssl.client.subject',
  'ssl.client.fingerprint',
  'ssl.client.serial',
  'ssl.client.verified',
  'ssl.client.cert',
  'ssl.client.chain',
];

const SSL_CLIENT = 'ssl.client.';
/** The `ssl.client.*` names that are not subject attributes. */
const CERTIFICATE_FACTS = VARIABLES.filter((v) => v.startsWith(SSL_CLIENT)).map((v) => v.slice(SSL_CLIENT.length));

/**
 * Subject attribute spellings (lower-cased) → the keyword the gateway prints in subjects, which is Java's
 * X500Principal keyword (tls/x509-names.ts). OpenSSL's short and long names are accepted too, so that
 * `{ssl.client.emailAddress}` and `{ssl.client.serialNumber}` read what a reader of `openssl x509 -subject` expects.
 */
const ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['cn', 'CN'],
  ['commonname', 'CN'],
  ['ou', 'OU'],
  ['organizationalunitname', 'OU'],
  ['o', 'O'],
  ['organizationname', 'O'],
  ['l', 'L'],
  ['localityname', 'L'],
  ['st', 'ST'],
  ['stateorprovincename', 'ST'],
  ['c', 'C'],
  ['countryname', 'C'],
  ['street', 'STREET'],
  ['streetaddress', 'STREET'],
  ['t', 'T'],
  ['title', 'T'],
  ['dc', 'DC'],
  ['domaincomponent', 'DC'],
  ['uid', 'UID'],
  ['userid', 'UID'],
  ['emailaddress', 'EMAILADDRESS'],
  ['e', 'EMAILADDRESS'],
  ['serialnumber', 'SERIALNUMBER'],
  ['surname', 'SURNAME'],
  ['sn', 'SURNAME'],
  ['givenname', 'GIVENNAME'],
  ['gn', 'GIVENNAME'],
  ['initials', 'INITIALS'],
  ['generation', 'GENERATION'],
  ['generationqualifier', 'GENERATION'],
  ['dnq', 'DNQ'],
  ['dnqualifier', 'DNQ'],
]);
const KEYWORDS = [...new Set(ATTRIBUTES.values())];
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** Every name a did-you-mean may offer: the variables, and `ssl.client.` with each attribute keyword. */
const SUGGESTIONS = [...VARIABLES, ...KEYWORDS.map((k) => SSL_CLIENT + k)];

/**
 * Characters a header value may not carry: RFC 9110 §5.5 allows HTAB, SP, visible ASCII and obs-text, so C0
 * controls (CR, LF and NUL among them) and DEL are out. C1 controls (U+0080–U+009F) are refused too: sent as UTF-8
 * they would be obs-text bytes, but no identity legitimately holds one and some readers treat them as line ends.
 */
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

/** The code point of the first character a header value may not carry, or undefined when it has none. */
export function forbiddenCharacter(value: string): number | undefined {
  const m = FORBIDDEN.exec(value);
  return m === null ? undefined : (m[0].codePointAt(0) as number);
}

/** `U+000A`, how refusals name a character without quoting the value it was in. */
export function codePoint(c: number): string {
  return 'U+' + c.toString(16).toUpperCase().padStart(4, '0');
}

/** Why the gateway keeps a header name to itself, or undefined for a name a template may set. */
function reservedReason(lower: string): string | undefined {
  if (lower === 'host') return 'the gateway sets Host to the backend it connects to';
  if (lower === 'content-length' || lower === 'transfer-encoding') return 'an upgrade request has no body; the gateway frames the request itself';
  if (lower === 'connection' || lower === 'upgrade' || lower.startsWith('sec-websocket-')) return "the gateway's WebSocket handshake with the backend sets it";
  if (lower === 'keep-alive' || lower === 'te' || lower === 'trailer' || lower.startsWith('proxy-')) return 'it is hop-by-hop: it applies to one connection and is never sent on';
  return undefined;
}

function valueError(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_VALUE', message, { hint });
}

interface Parsed {
  readonly parts: TemplatePart[];
  /** Attribute names no certificate the gateway reads can carry: legal, but always empty. */
  readonly unknownAttributes: string[];
}

function readVariable(inner: string, header: string, parsed: Parsed): TemplatePart {
  const known = VARIABLES.find((v) => v === inner);
  if (known !== undefined) return { kind: 'variable', variable: known };
  const attribute = inner.startsWith(SSL_CLIENT) ? inner.slice(SSL_CLIENT.length) : undefined;
  if (attribute !== undefined && ATTRIBUTE_NAME.test(attribute)) {
    const keyword = ATTRIBUTES.get(attribute.toLowerCase());
    if (keyword !== undefined) return { kind: 'attribute', attribute: keyword };
    // `{ssl.client.Serial}` or `{ssl.client.fingerprnt}` is far likelier a slip than an attribute of that name.
    const fact = nearestName(attribute.toLowerCase(), CERTIFICATE_FACTS);
    if (fact !== undefined) throw valueError(`<http.header> ${header}: unknown variable {${inner}}`, `did you mean {${SSL_CLIENT}${fact}}?`);
    parsed.unknownAttributes.push(attribute);
    return { kind: 'attribute', attribute: attribute.toUpperCase() };
  }
  if (inner === 'ssl.client' || inner === SSL_CLIENT) {
    throw valueError(`<http.header> ${header}: {${inner}} names no attribute`, 'for example {ssl.client.CN} or {ssl.client.subject}');
  }
  const near = nearestName(inner, SUGGESTIONS);
  throw valueError(
    `<http.header> ${header}: unknown variable {${inner}}`,
    near !== undefined ? `did you mean {${near}}?` : `the variables are ${VARIABLES.map((v) => `{${v}}`).join(', ')} and {ssl.client.<attribute>} (CN, OU, O, …)`,
  );
}

function parseTemplate(template: string, header: string): Parsed {
  const parsed: Parsed = { parts: [], unknownAttributes: [] };
  let text = '';
  const flush = (): void => {
    if (text === '') return;
    const bad = forbiddenCharacter(text);
    if (bad !== undefined) throw valueError(`<http.header> ${header}: the template holds the control character ${codePoint(bad)}, which a header value cannot carry`);
    parsed.parts.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, open);
    if (template[open + 1] === '{') {
      text += '{';
      i = open + 2;
      continue;
    }
    const close = template.indexOf('}', open + 1);
    const nested = template.indexOf('{', open + 1);
    if (close < 0 || (nested >= 0 && nested < close)) {
      throw valueError(`<http.header> ${header}: unclosed "{" at character ${open + 1} of the template`, 'close the variable with "}", or write "{{" for a literal "{"');
    }
    const inner = template.slice(open + 1, close).trim();
    if (inner === '') throw valueError(`<http.header> ${header}: empty variable "{}" at character ${open + 1} of the template`, 'for example {ssl.client.CN}; write "{{" for a literal "{"');
    flush();
    parsed.parts.push(readVariable(inner, header, parsed));
    i = close + 1;
  }
  flush();
  return parsed;
}

function parseOne(text: string, position: SourcePosition): { header: HttpHeaderConfig; unknownAttributes: string[] } {
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw valueError(`Invalid <http.header> "${text}": expected NAME: TEMPLATE`, 'for example clientId: {ssl.client.CN}');
  }
  const name = text.slice(0, colon).trim();
  if (!TOKEN.test(name)) throw valueError(`Invalid <http.header> name "${name}": a header name is letters, digits and !#$%&'*+.^_\`|~-`);
  const reserved = reservedReason(name.toLowerCase());
  if (reserved !== undefined) throw valueError(`<http.header> may not set ${name}: ${reserved}`);
  const template = text.slice(colon + 1).trim();
  const { parts, unknownAttributes } = parseTemplate(template, name);
  return { header: { name, template, parts, position }, unknownAttributes };
}

/**
 * Reads one `<http.header>`: its name, and its template into parts. A problem is recorded at `position` and gives
 * undefined; an attribute name no certificate can carry (`{ssl.client.OUs}`) is a warning, not an error, because
 * Kaazing-era files may name attributes by keywords this gateway does not know.
 */
export function parseHttpHeader(text: string, position: SourcePosition, diags: Diagnostics): HttpHeaderConfig | undefined {
  const read = attempt(diags, position, () => parseOne(text, position));
  if (read === undefined) return undefined;
  for (const attribute of read.unknownAttributes) {
    const near = nearestName(attribute.toUpperCase(), KEYWORDS);
    diags.warning(
      `<http.header> ${read.header.name}: {${SSL_CLIENT}${attribute}} names no subject attribute the gateway reads (${KEYWORDS.join(', ')}): it will always be empty`,
      position,
      near !== undefined ? `did you mean {${SSL_CLIENT}${near}}?` : undefined,
    );
  }
  return read.header;
}

/** Two `<http.header>`s of one block naming the same header (in any case): the second is a duplicate. */
export function checkHttpHeaderNames(headers: readonly HttpHeaderConfig[], diags: Diagnostics): void {
  const first = new Map<string, HttpHeaderConfig>();
  for (const header of headers) {
    const key = header.name.toLowerCase();
    const before = first.get(key);
    if (before === undefined) {
      first.set(key, header);
      continue;
    }
    diags.error(
      'GW_ERR_CONFIG_DUPLICATE',
      `<http.header> ${header.name} is given twice (first at ${describePosition(before.position)}): header names are compared in any case`,
      header.position,
      'write one template per header',
    );
  }
}

/**
 * `<security><realm>`: its authentication (challenge scheme, where tokens come from, authorization-timeout) and
 * its chain of login modules, each with its own options. Paths resolve against the configuration file's directory.
 * The files the modules name are read when the gateway is prepared (src/auth/realm/), not here.
 */
import { resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseEnum, parseSeconds, parseTimeout } from './grammar.js';
import { anyOrder, checkChildren, first, leafText, sequence } from './structure.js';
import type { ChallengeScheme, LoginModuleConfig, LoginModuleFlag, RealmConfig, SourcePosition } from './types.js';
import { didYouMean, nearestName } from './vocabulary.js';
import type { XmlElement } from './xml.js';

const REALM_CONTENT = sequence('name', 'description?', 'user-principal-class*', 'authentication?');
// Kaazing's schema has no place for authorization-timeout; its documentation puts it after the token sources.
const AUTHENTICATION_CONTENT = sequence(
  'http-challenge-scheme?',
  'http-header*',
  'http-query-parameter*',
  'http-cookie*',
  'authorization-mode?',
  'authorization-timeout?',
  'session-timeout?',
  'login-modules?',
);

export const CHALLENGE_SCHEMES: readonly ChallengeScheme[] = ['Basic', 'Application Basic', 'Application Token'];
const NEGOTIATE_SCHEMES = ['Negotiate', 'Application Negotiate'];
export const LOGIN_MODULE_FLAGS: readonly LoginModuleFlag[] = ['required', 'requisite', 'sufficient', 'optional'];
export const LOGIN_MODULE_TYPES = ['file', 'certificate-ticket', 'token-directory'] as const;
/** Kaazing's own login-module types this gateway does not have (`class:…` is also one). */
const KAAZING_ONLY_LOGIN_MODULES = ['ldap', 'kerberos5', 'gss', 'jndi', 'keystore', 'timeout'];
/** Default `max-age` of a certificate ticket, in seconds. */
export const DEFAULT_TICKET_MAX_AGE_S = 3600;
/** A cookie, header or query parameter name: an RFC 9110 token. */
const TOKEN_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Reads one `<realm>`; undefined when it has no name or a problem was recorded. */
export function readRealm(element: XmlElement, configDir: string, diags: Diagnostics): RealmConfig | undefined {
  const before = diags.errorCount;
  const children = checkChildren(element, REALM_CONTENT, diags);
  const nameElement = first(children, 'name');
  const name = nameElement === undefined ? '' : leafText(nameElement, diags);
  if (nameElement !== undefined && name === '') diags.error('GW_ERR_CONFIG_MISSING', 'The realm <name> is empty', nameElement.position);
  const descriptionElement = first(children, 'description');
  const description = descriptionElement === undefined ? undefined : leafText(descriptionElement, diags);
  for (const e of children.get('user-principal-class') ?? []) {
    diags.warning(`<user-principal-class>${leafText(e, diags)}</user-principal-class> is ignored: it names a Java class for Kaazing's management notifications`, e.position);
  }
  const authentication = first(children, 'authentication');
  const realm: RealmConfig = {
    name,
    description,
    challengeScheme: 'Basic',
    httpHeaders: [],
    httpQueryParameters: [],
    httpCookies: [],
    authorizationTimeoutMs: undefined,
    loginModules: [],
    position: element.position,
    ...(authentication === undefined ? {} : readAuthentication(authentication, configDir, diags)),
  };
  const ticket = realm.loginModules.find((m) => m.type === 'certificate-ticket');
  if (ticket !== undefined && realm.httpCookies.length === 0) {
    diags.error('GW_ERR_CONFIG_MISSING', `The certificate-ticket login module of realm "${name}" needs an <http-cookie> in the realm's <authentication>: its tickets are set in, and read from, that cookie`, ticket.position, 'add <http-cookie>TICKET</http-cookie> after <http-challenge-scheme>');
  }
  return diags.errorCount > before || name === '' ? undefined : realm;
}

type Authentication = Omit<RealmConfig, 'name' | 'description' | 'position'>;

function readAuthentication(element: XmlElement, configDir: string, diags: Diagnostics): Authentication {
  const children = checkChildren(element, AUTHENTICATION_CONTENT, diags);
  const schemeElement = first(children, 'http-challenge-scheme');
  const modules = first(children, 'login-modules');
  const loginModules = modules === undefined ? [] : readLoginModules(modules, configDir, diags);
  // Kaazing's default is Basic. A browser answers Basic with a password prompt, which no module here would take
  // when none reads passwords (tokens, certificate tickets): such a realm asks for a token instead.
  let challengeScheme: ChallengeScheme = loginModules.length > 0 && !loginModules.some((m) => m.type === 'file') ? 'Application Token' : 'Basic';
  if (schemeElement !== undefined) {
    const text = leafText(schemeElement, diags).replace(/\s+/g, ' ');
    if (NEGOTIATE_SCHEMES.includes(text)) {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<http-challenge-scheme>${text}</http-challenge-scheme> is not supported: this gateway has no Kerberos login modules`, schemeElement.position, `supported schemes: ${CHALLENGE_SCHEMES.join(', ')}`);
    } else {
      challengeScheme = attempt(diags, schemeElement.position, () => parseExact(text, CHALLENGE_SCHEMES, '<http-challenge-scheme>')) ?? challengeScheme;
    }
  }
  const names = (tag: string): string[] =>
    (children.get(tag) ?? []).flatMap((e) => {
      const value = leafText(e, diags);
      if (TOKEN_NAME.test(value)) return [value];
      diags.error('GW_ERR_CONFIG_VALUE', `Invalid <${tag}> "${value}": expected a name of letters, digits and !#$%&'*+.^_\`|~-`, e.position);
      return [];
    });
  const mode = first(children, 'authorization-mode');
  if (mode !== undefined) {
    const value = leafText(mode, diags);
    // challenge is what this gateway does: every request is authenticated afresh, no session cookie is written.
    if (value !== 'challenge') {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<authorization-mode>${value}</authorization-mode> is not supported: this gateway writes no session cookie of its own`, mode.position, 'use challenge (the default), or remove it');
    }
  }
  const session = first(children, 'session-timeout');
  if (session !== undefined) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', '<session-timeout> is not supported: use <authorization-timeout>, which closes a WebSocket admitted by the realm after that long', session.position);
  }
  const timeout = first(children, 'authorization-timeout');
  let authorizationTimeoutMs: number | undefined;
  if (timeout !== undefined) {
    const ms = attempt(diags, timeout.position, () => parseTimeout(leafText(timeout, diags)));
    if (ms === 0) diags.error('GW_ERR_CONFIG_VALUE', '<authorization-timeout> must be longer than 0', timeout.position, 'remove it for no timeout');
    else authorizationTimeoutMs = ms;
  }
  return {
    challengeScheme,
    httpHeaders: names('http-header'),
    httpQueryParameters: names('http-query-parameter'),
    httpCookies: names('http-cookie'),
    authorizationTimeoutMs,
    loginModules,
  };
}

/** An enumeration compared exactly, as Kaazing's schema does (`application basic` is not a scheme). */
function parseExact<T extends string>(text: string, allowed: readonly T[], what: string): T {
  const found = allowed.find((a) => a === text);
  if (found !== undefined) return found;
  const near = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
  throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid ${what} "${text}": allowed values are ${allowed.join(', ')}`, { hint: near ? `write it as ${near}` : undefined });
}

function readLoginModules(element: XmlElement, configDir: string, diags: Diagnostics): LoginModuleConfig[] {
  const children = checkChildren(element, sequence('login-module*'), diags);
  return (children.get('login-module') ?? []).flatMap((e) => readLoginModule(e, configDir, diags) ?? []);
}

function readLoginModule(element: XmlElement, configDir: string, diags: Diagnostics): LoginModuleConfig | undefined {
  const children = checkChildren(element, sequence('type', 'success', 'options?'), diags);
  const typeElement = first(children, 'type');
  const successElement = first(children, 'success');
  if (typeElement === undefined || successElement === undefined) return undefined;
  const success = attempt(diags, successElement.position, () => parseExact(leafText(successElement, diags), LOGIN_MODULE_FLAGS, '<success>'));
  const type = leafText(typeElement, diags);
  if (!(LOGIN_MODULE_TYPES as readonly string[]).includes(type)) {
    refuseType(type, typeElement.position, diags);
    return undefined;
  }
  const optionsElement = first(children, 'options');
  const rules = OPTIONS[type as (typeof LOGIN_MODULE_TYPES)[number]];
  const known = rules.map((r) => r.name);
  // Kaazing's options are free-form (each module reads its own): an unknown one is named against this module's.
  const options = optionsElement === undefined ? new Map<string, XmlElement[]>() : checkChildren(optionsElement, rules, diags, { handledElsewhere: () => true });
  for (const [name, elements] of options) {
    if (known.includes(name)) continue;
    for (const e of elements) diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `Unknown option <${name}> of the ${type} login module`, e.position, didYouMean(name, known) ?? `its options: ${known.join(', ')}`);
  }
  const where = optionsElement ?? element;
  const path = (name: string): string | undefined => {
    const e = first(options, name);
    if (e === undefined) {
      diags.error('GW_ERR_CONFIG_MISSING', `Missing required option <${name}> of the ${type} login module`, where.position, `add <options><${name}>…</${name}></options>`);
      return undefined;
    }
    const text = leafText(e, diags);
    if (text !== '') return resolve(configDir, text);
    diags.error('GW_ERR_CONFIG_MISSING', `<${name}> of the ${type} login module is empty`, e.position);
    return undefined;
  };
  if (success === undefined) return undefined;
  const position = element.position;
  switch (type) {
    case 'file': {
      const debug = first(options, 'debug');
      if (debug !== undefined) attempt(diags, debug.position, () => parseEnum(leafText(debug, diags), ['true', 'false'], '<debug>'));
      const file = path('file');
      return file === undefined ? undefined : { type, success, file, position };
    }
    case 'certificate-ticket': {
      const secretFile = path('secret-file');
      const age = first(options, 'max-age');
      const maxAgeS = age === undefined ? DEFAULT_TICKET_MAX_AGE_S : attempt(diags, age.position, () => positiveSeconds(leafText(age, diags)));
      return secretFile === undefined || maxAgeS === undefined ? undefined : { type, success, secretFile, maxAgeS, position };
    }
    default: {
      const directory = path('directory');
      return directory === undefined ? undefined : { type: 'token-directory', success, directory, position };
    }
  }
}

const OPTIONS = {
  // debug is Kaazing's (it turned on the module's debug log); this gateway logs every refusal anyway. A missing
  // required option is reported by readLoginModule, which can say which module needs it.
  file: anyOrder('file?', 'debug?'),
  'certificate-ticket': anyOrder('secret-file?', 'max-age?'),
  'token-directory': anyOrder('directory?'),
} as const;

function positiveSeconds(text: string): number {
  const s = parseSeconds(text);
  if (s === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', '<max-age> must be at least 1 second');
  return s;
}

function refuseType(type: string, position: SourcePosition, diags: Diagnostics): void {
  const supported = `supported types: ${LOGIN_MODULE_TYPES.join(', ')}`;
  if (KAAZING_ONLY_LOGIN_MODULES.includes(type) || type.startsWith('class:')) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `login-module type '${type}' is not supported by this gateway`, position, supported);
    return;
  }
  const near = nearestName(type, [...LOGIN_MODULE_TYPES, ...KAAZING_ONLY_LOGIN_MODULES]);
  diags.error('GW_ERR_CONFIG_VALUE', `Unrecognized login module type: ${type}`, position, near ? `did you mean '${near}'?` : supported);
}

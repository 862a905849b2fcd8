/**
 * Kaazing's names that this gateway does not serve. A migrating operator who meets one must learn that the name
 * is right but the feature is absent (GW_ERR_CONFIG_UNSUPPORTED), not hunt for a typo; a name Kaazing never had
 * stays "unknown". Whether a name is served is decided by the reader of its element alone (its content model):
 * a name added there stops being "not supported" here without any change to this file.
 */
import { KAAZING_CHILDREN } from './kaazing-schema.js';

/**
 * What to do instead, for Kaazing names that have a counterpart here or a clear reason; a name without an entry
 * is told to be removed. Keys are element names; a few differ by the element they sit in (`parent/name`).
 */
const INSTEAD: Readonly<Record<string, string>> = {
  'http.realm': 'authenticate clients by certificate (ssl.verify-client) and admit them with <access-constraint>',
  'udp.interface': 'remove it: this gateway serves no udp:// accepts or connects',
  'udp.transport': 'remove it: this gateway serves no udp:// accepts or connects',
  'http.maximum.redirects': 'remove it: this gateway does not follow HTTP redirects; connect to the final address',
  'http.max.authentication.attempts': 'remove it: send a backend its credentials with <http.header> (e.g. Authorization: Basic …)',
  'ws.version': 'remove it: WebSocket backends are always spoken to in RFC 6455',
  'http.keepalive.connections': 'remove it: each client gets its own backend connection',
  'aws.access-key-id': 'remove it: this gateway runs as a single member',
  'aws.secret-key': 'remove it: this gateway runs as a single member',
  'properties/internal.maximum.transferred.bytes': 'remove it; <maximum.pending.bytes> bounds what is queued per direction',
  'properties/repeat': 'remove it: the echo service answers each message once',
  'user-principal-class': 'remove it: client identities are logged by certificate subject and fingerprint',
};

/** Whether Kaazing's schema allows `<name>` in an element called `parent`. */
export function isKaazingName(parent: string, name: string): boolean {
  const allowed = KAAZING_CHILDREN[parent];
  return allowed !== undefined && (allowed.includes(name) || allowed.includes('*'));
}

/** The names Kaazing allows in an element called `parent` (for "did you mean"). */
export function kaazingNamesIn(parent: string): readonly string[] {
  return (KAAZING_CHILDREN[parent] ?? []).filter((n) => n !== '*');
}

/** The message and hint for a Kaazing name this gateway does not serve. */
export function unsupportedKaazingName(parent: string, name: string): { message: string; hint: string } {
  return {
    message: `<${name}> in <${parent}> is a Kaazing name this gateway does not support`,
    hint: INSTEAD[`${parent}/${name}`] ?? INSTEAD[name] ?? 'remove it',
  };
}

/** The elements Kaazing allows `<name>` in, other than `parent`: for "it belongs in <connect-options>". */
export function kaazingPlacesOf(name: string, parent: string): string[] {
  return Object.keys(KAAZING_CHILDREN).filter((p) => p !== parent && (KAAZING_CHILDREN[p] as readonly string[]).includes(name));
}

/**
 * The names the Kaazing 2016/06 schema allows, and the "did you mean" hint for a name that is not one of them.
 */

export const NAMESPACES = {
  current: 'http://xmlns.kaazing.org/2016/06/gateway',
  accepted: [
    'http://xmlns.kaazing.org/2016/06/gateway',
    'http://xmlns.kaazing.org/2015/11/gateway',
    'http://xmlns.kaazing.org/2014/09/gateway',
  ],
} as const;

/** Served types, then the types Kaazing has that this gateway refuses, by the message each gets. */
export const SERVED_SERVICE_TYPES = ['proxy', 'echo', 'directory', 'http.redirect', 'management.http'] as const;
export const KAAZING_ONLY_SERVICE_TYPES = [
  'amqp.proxy',
  'http.proxy',
  'broadcast',
  'balancer',
  'turn.rest',
  'update.check',
  'management.jmx',
] as const;
export const RETIRED_SERVICE_TYPES = ['session', 'management.snmp'] as const;

/** The `ssl.*` names with a `tls.*` alias (KAAZING.md: `tls.*` is an alias of `ssl.*`). */
export const TLS_ALIASED = [
  'ssl.verify-client',
  'ssl.ciphers',
  'ssl.protocols',
  'ssl.encryption',
  'ssl.bind',
  'ssl.crl',
  'ssl.verify-depth',
] as const;

export const ACCEPT_BIND_OPTIONS = ['ws.bind', 'wss.bind', 'http.bind', 'https.bind', 'ssl.bind', 'tcp.bind'] as const;
export type BindOption = (typeof ACCEPT_BIND_OPTIONS)[number];

export const ACCEPT_OPTIONS = [
  'ssl.verify-client',
  'ssl.ciphers',
  'ssl.protocols',
  'ssl.encryption',
  ...ACCEPT_BIND_OPTIONS,
  'ws.maximum.message.size',
  'ws.inactivity.timeout',
  'http.keepalive.timeout',
  // This gateway's additions (not in Kaazing's schema).
  'ssl.crl',
  'ssl.verify-depth',
  'tcp.proxy-protocol',
  'tcp.proxy-protocol.trusted',
  'ws.handshake.timeout',
  'tcp.maximum.connections',
  'tcp.maximum.connections.per.address',
] as const;

export const CONNECT_OPTIONS = [
  'ssl.keystore.alias',
  'http.header',
  'ssl.ciphers',
  'ssl.protocols',
  'ssl.encryption',
  'tcp.bind',
  'ws.inactivity.timeout',
  'tcp.proxy-protocol',
  'tcp.resolve.ttl',
] as const;

/** Where this gateway takes an option of its own, for "it belongs in <connect-options>" where Kaazing's schema cannot say. */
export function optionPlacesOf(name: string, parent: string): string[] {
  const places: [string, readonly string[]][] = [
    ['accept-options', ACCEPT_OPTIONS],
    ['connect-options', CONNECT_OPTIONS],
  ];
  return places.flatMap(([place, names]) => (place !== parent && names.includes(name) ? [place] : []));
}

/** Why a name is not taken where it was written, when that is less plain than the place it belongs in. */
export const WHY_NOT_HERE: Readonly<Record<string, string>> = {
  'accept-options/ssl.keystore.alias': "the certificate a TLS accept serves is the key entry whose CN or DNS SAN is the accept's host name (docs/tls.md)",
};

export const PROXY_PROTOCOLS = ['none', 'v1', 'v2'] as const;

/** `<access-constraint>` children (this gateway's addition, after Kaazing's `cross-site-constraint`). */
export const ACCESS_CONDITIONS = ['client-subject', 'client-san', 'client-fingerprint', 'client-address', 'path-identity'] as const;

export const PROXY_PROPERTIES = [
  'maximum.pending.bytes',
  'maximum.recovery.interval',
  'connect.strategy',
  'prepared.connection.count',
  'connect',
] as const;

/** Kaazing's `<layer>.transport` options (accept and connect): a transport tunnelled through another address. */
export function isTransportOption(name: string): boolean {
  return /^[a-z0-9+]+\.transport$/.test(name);
}

/** Levenshtein distance, case-insensitive: `SSL.Ciphers` is one typo from nothing. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/**
 * The allowed name nearest to `name`, if it is near enough to be a likely typo: within a third of its length
 * (at least 2 edits), so `ssl.cipher` finds `ssl.ciphers` but `foo` finds nothing.
 */
export function nearestName(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function didYouMean(name: string, allowed: readonly string[]): string | undefined {
  const near = nearestName(name, allowed);
  return near === undefined ? undefined : `did you mean <${near}>?`;
}

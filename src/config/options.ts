/**
 * `<accept-options>` and `<connect-options>`: each block is read into a set of values that remember where they
 * were written, so that service-defaults can be merged option by option and later rules can point at the line.
 */
import { resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseAddressList, parseBind, parseCiphers, parseDataSize, parseEnum, parseNonNegativeInteger, parseProtocols, parseTimeout } from './grammar.js';
import { anyOrder, checkChildren, leafText } from './structure.js';
import { checkHttpHeaderNames, parseHttpHeader } from './http-header.js';
import type { AcceptOptions, ConnectOptions, HostPort, HttpHeaderConfig, ProxyProtocol, Scheme, SourcePosition, VerifyClient } from './types.js';
import { ACCEPT_OPTIONS, CONNECT_OPTIONS, PROXY_PROTOCOLS, TLS_ALIASED, isTransportOption, type BindOption } from './vocabulary.js';
import type { XmlElement } from './xml.js';

/** The largest `ws.maximum.message.size`: ws holds it as a 32-bit signed integer. */
const MAXIMUM_MESSAGE_SIZE = 2 ** 31 - 1;

export interface Located<T> {
  readonly value: T;
  /** The element's name as written (`tls.verify-client` for `ssl.verify-client`), for messages. */
  readonly name: string;
  readonly position: SourcePosition;
  /** True when the value comes from `<service-defaults>`. */
  readonly inherited: boolean;
}

export interface AcceptOptionSet {
  verifyClient?: Located<VerifyClient>;
  ciphers?: Located<string>;
  protocols?: Located<readonly string[]>;
  encryption?: Located<boolean>;
  binds: Partial<Record<BindOption, Located<HostPort>>>;
  maximumMessageSize?: Located<number>;
  inactivityTimeoutMs?: Located<number>;
  keepaliveTimeoutMs?: Located<number>;
  /** Absolute path (resolved against the config file's directory). */
  crl?: Located<string>;
  verifyDepth?: Located<number>;
  proxyProtocol?: Located<ProxyProtocol>;
  proxyProtocolTrusted?: Located<readonly string[]>;
  handshakeTimeoutMs?: Located<number>;
  maximumConnections?: Located<number>;
  maximumConnectionsPerAddress?: Located<number>;
  /**
   * An option of the block did not parse or was not recognised: what was meant is unknown, so rules comparing
   * accepts that share a listener would only add a misleading second error.
   */
  uncertain?: boolean;
  /** `ssl.verify-client` was written but did not parse: rules that depend on it are not judged. */
  verifyClientUnread?: boolean;
}

export interface ConnectOptionSet {
  keystoreAlias?: Located<string>;
  /** Every `<http.header>`, in document order (the option repeats). */
  httpHeaders?: Located<readonly HttpHeaderConfig[]>;
  inactivityTimeoutMs?: Located<number>;
  ciphers?: Located<string>;
  protocols?: Located<readonly string[]>;
  tcpBind?: Located<HostPort>;
  proxyProtocol?: Located<ProxyProtocol>;
  resolveTtlMs?: Located<number>;
}

export const CONNECT_DEFAULTS = {
  /** The JVM's own default (`networkaddress.cache.ttl`), which Kaazing's connects had (src/upstream/resolver.ts). */
  resolveTtlMs: 30_000,
} as const;

export const ACCEPT_DEFAULTS = {
  verifyClient: 'none' as VerifyClient,
  maximumMessageSize: 128 * 1024,
  inactivityTimeoutMs: 0,
  keepaliveTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  maximumConnections: 10_000,
};

const ALIASES: ReadonlyMap<string, string> = new Map(TLS_ALIASED.map((name) => ['tls.' + name.slice(4), name]));

function isHttpKeepalive(name: string): boolean {
  return name === 'http.keepalive' || name.startsWith('http.keepalive.');
}

/** `configDir` is the configuration file's directory: `ssl.crl` is resolved against it, like the stores. */
export function readAcceptOptions(block: XmlElement | undefined, inherited: boolean, configDir: string, diags: Diagnostics): AcceptOptionSet {
  const set: AcceptOptionSet = { binds: {} };
  if (block === undefined) return set;
  const errorsBefore = diags.errorCount;
  const children = checkChildren(block, anyOrder(...ACCEPT_OPTIONS.map((n) => n + '?')), diags, { aliases: ALIASES, handledElsewhere: isTransportOption });
  for (const [name, elements] of children) {
    const element = elements[0] as XmlElement;
    if (isTransportOption(name)) {
      for (const e of elements) refuseTransport(e, diags);
      continue;
    }
    const text = leafText(element, diags);
    const at = locator(element, diags, inherited);
    switch (name) {
      case 'ssl.verify-client':
        set.verifyClient = at(() => parseEnum(text, ['none', 'optional', 'required'] as const, `<${element.name}>`));
        if (set.verifyClient === undefined) set.verifyClientUnread = true;
        break;
      case 'ssl.ciphers':
        set.ciphers = at(() => parseCiphers(text));
        break;
      case 'ssl.protocols':
        set.protocols = at(() => parseProtocols(text));
        break;
      case 'ssl.encryption':
        set.encryption = at(() => parseEnum(text, ['enabled', 'disabled'] as const, `<${element.name}>`) === 'enabled');
        break;
      case 'ws.maximum.message.size':
        set.maximumMessageSize = at(() => {
          const size = parseDataSize(text);
          if (size === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${element.name}> must be at least 1 byte`, { hint: 'the default is 128k' });
          // ws keeps the limit as a 32-bit signed integer: 2 GiB and more would wrap round to no limit at all.
          if (size > MAXIMUM_MESSAGE_SIZE) {
            throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${element.name}> ${text} is more than the largest message size the gateway can enforce, ${MAXIMUM_MESSAGE_SIZE} bytes (2 GiB less one)`, { hint: 'the default is 128k' });
          }
          return size;
        });
        break;
      case 'ws.inactivity.timeout':
        set.inactivityTimeoutMs = at(() => parseTimeout(text));
        break;
      case 'http.keepalive.timeout':
        set.keepaliveTimeoutMs = at(() => {
          const ms = parseTimeout(text);
          if (ms > 0) return ms;
          // Kaazing reads 0 as "not set": a Kaazing file with 0 must not leave idle connections open for ever.
          diags.warning(`<${element.name}> ${text} means the default, ${ACCEPT_DEFAULTS.keepaliveTimeoutMs / 1000} s, as in Kaazing: an idle HTTP connection cannot be kept open without limit`, element.position, 'set a time interval such as 5s to choose another');
          return ACCEPT_DEFAULTS.keepaliveTimeoutMs;
        });
        break;
      case 'ssl.crl':
        set.crl = at(() => {
          if (text === '') throw new GatewayError('GW_ERR_CONFIG_MISSING', `<${element.name}> is empty: it must name a CRL file or a directory of CRL files`);
          return resolve(configDir, text);
        });
        break;
      case 'ssl.verify-depth':
        set.verifyDepth = at(() => parseNonNegativeInteger(text));
        break;
      case 'tcp.proxy-protocol':
        set.proxyProtocol = at(() => parseEnum(text, PROXY_PROTOCOLS, `<${element.name}>`));
        break;
      case 'tcp.proxy-protocol.trusted':
        set.proxyProtocolTrusted = at(() => parseAddressList(text, `<${element.name}>`));
        break;
      case 'ws.handshake.timeout':
        set.handshakeTimeoutMs = at(() => {
          const ms = parseTimeout(text);
          // Without a deadline, a client that connects and sends nothing holds its socket for good.
          if (ms === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${element.name}> must be longer than 0`, { hint: 'the default is 10s' });
          return ms;
        });
        break;
      case 'tcp.maximum.connections':
        set.maximumConnections = at(() => parsePositiveInteger(text, element.name, 'the default is 10000'));
        break;
      case 'tcp.maximum.connections.per.address':
        set.maximumConnectionsPerAddress = at(() => parsePositiveInteger(text, element.name, 'leave it out for no limit per address'));
        break;
      default: {
        const bind = at(() => parseBind(text));
        if (bind !== undefined) set.binds[name as BindOption] = bind;
      }
    }
  }
  if (diags.errorCount > errorsBefore) set.uncertain = true;
  return set;
}

export function readConnectOptions(block: XmlElement | undefined, inherited: boolean, diags: Diagnostics): ConnectOptionSet {
  const set: ConnectOptionSet = {};
  if (block === undefined) return set;
  const refusedHere = (name: string): boolean => isTransportOption(name) || isHttpKeepalive(name);
  const children = checkChildren(block, anyOrder(...CONNECT_OPTIONS.map((n) => n + (n === 'http.header' ? '*' : '?'))), diags, { aliases: ALIASES, handledElsewhere: refusedHere });
  for (const [name, elements] of children) {
    const element = elements[0] as XmlElement;
    if (isTransportOption(name)) {
      for (const e of elements) refuseTransport(e, diags);
      continue;
    }
    if (name === 'http.header') {
      const headers = elements.flatMap((e) => parseHttpHeader(leafText(e, diags), e.position, diags) ?? []);
      checkHttpHeaderNames(headers, diags);
      set.httpHeaders = { value: headers, name: element.name, position: element.position, inherited };
      continue;
    }
    if (isHttpKeepalive(name)) {
      for (const e of elements) {
        diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<${name}> in <connect-options> is not supported: this gateway connects to tcp:// and ssl:// backends, which have no HTTP keep-alive`, e.position, 'remove it');
      }
      continue;
    }
    const text = leafText(element, diags);
    const at = locator(element, diags, inherited);
    switch (name) {
      case 'ssl.ciphers':
        set.ciphers = at(() => parseCiphers(text));
        break;
      case 'ssl.protocols':
        set.protocols = at(() => parseProtocols(text));
        break;
      case 'ssl.encryption': {
        const enabled = at(() => parseEnum(text, ['enabled', 'disabled'] as const, `<${element.name}>`) === 'enabled');
        if (enabled?.value === false) {
          diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<${element.name}>disabled</${element.name}> in <connect-options> is not supported: use a tcp:// connect for a plain backend connection`, element.position);
        }
        break;
      }
      case 'tcp.bind':
        set.tcpBind = at(() => parseBind(text));
        break;
      case 'tcp.proxy-protocol':
        set.proxyProtocol = at(() => parseEnum(text, PROXY_PROTOCOLS, `<${element.name}>`));
        break;
      case 'tcp.resolve.ttl':
        set.resolveTtlMs = at(() => parseTimeout(text));
        break;
      case 'ssl.keystore.alias':
        set.keystoreAlias = at(() => {
          if (text === '') throw new GatewayError('GW_ERR_CONFIG_MISSING', `<${element.name}> is empty: it must name a key entry of the keystore`);
          return text;
        });
        break;
      case 'ws.inactivity.timeout':
        // Whether the backend is one that can be pinged is the service's to say: it knows the connect URI.
        set.inactivityTimeoutMs = at(() => parseTimeout(text));
        break;
    }
  }
  return set;
}

function parsePositiveInteger(text: string, name: string, hint: string): number {
  const n = parseNonNegativeInteger(text);
  if (n === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${name}> must be at least 1`, { hint });
  return n;
}

/** Runs one option's value parser: its value with where it was written, or undefined with the failure recorded. */
function locator(element: XmlElement, diags: Diagnostics, inherited: boolean) {
  return <T>(fn: () => T): Located<T> | undefined => {
    const value = attempt(diags, element.position, fn);
    return value === undefined ? undefined : { value, name: element.name, position: element.position, inherited };
  };
}

function refuseTransport(element: XmlElement, diags: Diagnostics): void {
  diags.error(
    'GW_ERR_CONFIG_UNSUPPORTED',
    `<${element.name}> is not supported: this gateway does not tunnel a transport layer through another address`,
    element.position,
    'remove it; the gateway listens and connects directly',
  );
}

/** The service's own value wins over service-defaults, option by option. */
export function mergeAccept(own: AcceptOptionSet, defaults: AcceptOptionSet): AcceptOptionSet {
  return {
    verifyClient: own.verifyClient ?? defaults.verifyClient,
    ciphers: own.ciphers ?? defaults.ciphers,
    protocols: own.protocols ?? defaults.protocols,
    encryption: own.encryption ?? defaults.encryption,
    binds: { ...defaults.binds, ...own.binds },
    maximumMessageSize: own.maximumMessageSize ?? defaults.maximumMessageSize,
    inactivityTimeoutMs: own.inactivityTimeoutMs ?? defaults.inactivityTimeoutMs,
    keepaliveTimeoutMs: own.keepaliveTimeoutMs ?? defaults.keepaliveTimeoutMs,
    crl: own.crl ?? defaults.crl,
    verifyDepth: own.verifyDepth ?? defaults.verifyDepth,
    proxyProtocol: own.proxyProtocol ?? defaults.proxyProtocol,
    proxyProtocolTrusted: own.proxyProtocolTrusted ?? defaults.proxyProtocolTrusted,
    handshakeTimeoutMs: own.handshakeTimeoutMs ?? defaults.handshakeTimeoutMs,
    maximumConnections: own.maximumConnections ?? defaults.maximumConnections,
    maximumConnectionsPerAddress: own.maximumConnectionsPerAddress ?? defaults.maximumConnectionsPerAddress,
    uncertain: own.uncertain === true || defaults.uncertain === true,
    verifyClientUnread: own.verifyClientUnread === true || (own.verifyClient === undefined && defaults.verifyClientUnread === true),
  };
}

export function mergeConnect(own: ConnectOptionSet, defaults: ConnectOptionSet): ConnectOptionSet {
  return {
    keystoreAlias: own.keystoreAlias ?? defaults.keystoreAlias,
    httpHeaders: own.httpHeaders ?? defaults.httpHeaders,
    inactivityTimeoutMs: own.inactivityTimeoutMs ?? defaults.inactivityTimeoutMs,
    ciphers: own.ciphers ?? defaults.ciphers,
    protocols: own.protocols ?? defaults.protocols,
    tcpBind: own.tcpBind ?? defaults.tcpBind,
    proxyProtocol: own.proxyProtocol ?? defaults.proxyProtocol,
    resolveTtlMs: own.resolveTtlMs ?? defaults.resolveTtlMs,
  };
}

const BIND_CHAINS: Readonly<Record<Scheme, readonly BindOption[]>> = {
  ws: ['tcp.bind', 'http.bind', 'ws.bind'],
  wss: ['tcp.bind', 'ssl.bind', 'https.bind', 'wss.bind'],
  http: ['tcp.bind', 'http.bind'],
  https: ['tcp.bind', 'ssl.bind', 'https.bind'],
  tcp: ['tcp.bind'],
  ssl: ['tcp.bind', 'ssl.bind'],
};

/**
 * The bind that decides where an accept of `scheme` listens. Kaazing stacks ws over http over tcp, and wss over
 * https over ssl over tcp; each layer's bind replaces the address handed to the layer below, so the socket ends up
 * on the lowest layer's bind that is given. Binds of the other stack (wss.bind on a ws:// accept) do not apply.
 */
export function effectiveBind(binds: AcceptOptionSet['binds'], scheme: Scheme): HostPort | undefined {
  const chain = BIND_CHAINS[scheme];
  for (const name of chain) {
    const bind = binds[name];
    if (bind !== undefined) return bind.value;
  }
  return undefined;
}

/**
 * The revocation and depth options in force: only where client certificates are verified. A service's own value
 * elsewhere is an error (service.ts); one inherited from service-defaults simply does not apply there.
 */
export function clientCheckOptions(set: AcceptOptionSet): { crl: Located<string> | undefined; verifyDepth: Located<number> | undefined } {
  const verifies = (set.verifyClient?.value ?? ACCEPT_DEFAULTS.verifyClient) !== 'none';
  return { crl: verifies ? set.crl : undefined, verifyDepth: verifies ? set.verifyDepth : undefined };
}

export function toAcceptOptions(set: AcceptOptionSet, schemes: readonly Scheme[]): AcceptOptions {
  const binds = schemes.map((s) => effectiveBind(set.binds, s));
  const firstBind = binds[0];
  const sameForAll = binds.every((b) => b?.host === firstBind?.host && b?.port === firstBind?.port);
  const { crl, verifyDepth } = clientCheckOptions(set);
  return {
    sslVerifyClient: set.verifyClient?.value ?? ACCEPT_DEFAULTS.verifyClient,
    sslCiphers: set.ciphers?.value,
    sslProtocols: set.protocols?.value,
    sslEncryption: set.encryption?.value ?? true,
    bind: sameForAll ? firstBind : undefined,
    wsMaximumMessageSize: set.maximumMessageSize?.value ?? ACCEPT_DEFAULTS.maximumMessageSize,
    wsInactivityTimeoutMs: set.inactivityTimeoutMs?.value ?? ACCEPT_DEFAULTS.inactivityTimeoutMs,
    httpKeepaliveTimeoutMs: set.keepaliveTimeoutMs?.value ?? ACCEPT_DEFAULTS.keepaliveTimeoutMs,
    sslCrl: crl?.value,
    ...(crl !== undefined ? { sslCrlPosition: crl.position } : {}),
    sslVerifyDepth: verifyDepth?.value,
    tcpProxyProtocol: set.proxyProtocol?.value ?? 'none',
    tcpProxyProtocolTrusted: set.proxyProtocolTrusted?.value ?? [],
    wsHandshakeTimeoutMs: set.handshakeTimeoutMs?.value ?? ACCEPT_DEFAULTS.handshakeTimeoutMs,
    tcpMaximumConnections: set.maximumConnections?.value ?? ACCEPT_DEFAULTS.maximumConnections,
    tcpMaximumConnectionsPerAddress: set.maximumConnectionsPerAddress?.value,
  };
}

export function toConnectOptions(set: ConnectOptionSet): ConnectOptions {
  return {
    sslKeystoreAlias: set.keystoreAlias?.value,
    httpHeaders: set.httpHeaders?.value ?? [],
    wsInactivityTimeoutMs: set.inactivityTimeoutMs?.value ?? 0,
    sslCiphers: set.ciphers?.value,
    sslProtocols: set.protocols?.value,
    tcpBind: set.tcpBind?.value,
    tcpProxyProtocol: set.proxyProtocol?.value ?? 'none',
    tcpResolveTtlMs: set.resolveTtlMs?.value ?? CONNECT_DEFAULTS.resolveTtlMs,
  };
}

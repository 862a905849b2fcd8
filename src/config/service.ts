/**
 * One `<service>` element → a ServiceConfig. Problems are recorded and checking goes on; a service of a type
 * this gateway does not serve is still checked for everything that does not depend on its type.
 */
import { readAccessConstraint } from './access-constraint.js';
import { attempt, describePosition, type Diagnostics } from './diagnostics.js';
import { mergeAccept, mergeConnect, readAcceptOptions, readConnectOptions, effectiveBind, toAcceptOptions, toConnectOptions, type AcceptOptionSet, type ConnectOptionSet, type Located } from './options.js';
import { readDirectoryProperties } from './directory-properties.js';
import { readManagementProperties } from './management-properties.js';
import { readRedirectProperties } from './redirect-properties.js';
import { PROXY_DEFAULTS, readProxyProperties } from './proxy-properties.js';
import { anyOrder, checkChildren, first, leafText, sequence } from './structure.js';
import type { AcceptUri, AuthorizationConstraintConfig, ConnectUri, CrossSiteConstraint, MimeMapping, ServiceConfig, ServiceType, SourcePosition } from './types.js';
import { isHttpScheme, isStreamScheme, isTlsScheme, isWebSocketScheme, parseAcceptUri, parseConnectUri } from './uris.js';
import { KAAZING_ONLY_SERVICE_TYPES, RETIRED_SERVICE_TYPES, SERVED_SERVICE_TYPES, nearestName } from './vocabulary.js';
import { parseSeconds } from './grammar.js';
import type { XmlElement } from './xml.js';

const SERVICE_CONTENT = sequence(
  'name',
  'description?',
  'accept*',
  'connect*',
  'balance*',
  'notify*',
  'type',
  'properties?',
  'accept-options?',
  'connect-options?',
  'realm-name?',
  'authorization-constraint*',
  'mime-mapping*',
  'cross-site-constraint*',
  'access-constraint*',
);

export interface ServiceDefaults {
  readonly accept: AcceptOptionSet;
  readonly connect: ConnectOptionSet;
  readonly mimeMappings: readonly MimeMapping[];
}

/** The service types that answer plain HTTP requests on http:// and https:// accepts, and only those. */
const HTTP_SERVICE_TYPES: readonly ServiceType[] = ['directory', 'http.redirect', 'management.http'];

/** What the document-level rules need besides the ServiceConfig itself. */
export interface ServiceDraft {
  readonly config: ServiceConfig;
  /** The accept options in force (service's own merged over service-defaults), with positions. */
  readonly acceptOptions: AcceptOptionSet;
}

export interface ServiceResult {
  /** Undefined when the service cannot be built (unsupported type, missing parts); its problems are recorded. */
  readonly draft: ServiceDraft | undefined;
  readonly name: { readonly value: string; readonly position: SourcePosition } | undefined;
  /** The `<realm-name>`, so that the document can check that the realm exists and mark it used. */
  readonly realm: { readonly name: string; readonly position: SourcePosition } | undefined;
}

/** `configDir`: the configuration file's directory, against which file options (`ssl.crl`) resolve. */
export function readService(element: XmlElement, defaults: ServiceDefaults, configDir: string, diags: Diagnostics): ServiceResult {
  const children = checkChildren(element, SERVICE_CONTENT, diags);
  const nameElement = first(children, 'name');
  const name = nameElement === undefined ? undefined : leafText(nameElement, diags);
  if (nameElement !== undefined && name === '') diags.error('GW_ERR_CONFIG_MISSING', 'The service <name> is empty', nameElement.position);
  const label = name ? `service "${name}"` : 'this service';

  refuseUnservedFeatures(children, label, diags);
  const realm = readRealmName(first(children, 'realm-name'), diags);
  const authorization = readAuthorization(children.get('authorization-constraint') ?? [], realm, label, diags);
  const ownMappings = (children.get('mime-mapping') ?? []).flatMap((e) => readMimeMapping(e, diags) ?? []);
  const acceptOptions = mergeAccept(readAcceptOptions(first(children, 'accept-options'), false, configDir, diags), defaults.accept);
  const connectOptions = mergeConnect(readConnectOptions(first(children, 'connect-options'), false, diags), defaults.connect);
  const crossSiteConstraints = (children.get('cross-site-constraint') ?? []).flatMap((e) => readCrossSite(e, diags));
  const accessConstraints = (children.get('access-constraint') ?? []).flatMap((e) => readAccessConstraint(e, diags) ?? []);
  checkProxyProtocolTrust(acceptOptions, label, element, diags);
  const description = first(children, 'description');

  const typeElement = first(children, 'type');
  const type = typeElement === undefined ? undefined : readType(typeElement, label, diags);
  const nameResult = nameElement && name ? { value: name, position: nameElement.position } : undefined;
  if (type === undefined) return { draft: undefined, name: nameResult, realm };

  const accepts = readAccepts(children.get('accept') ?? [], acceptOptions, diags);
  if (accepts !== undefined && !acceptsFitType(accepts, type, label, diags)) return { draft: undefined, name: nameResult, realm };
  checkClientCheckOptions(acceptOptions, label, diags);
  if ((children.get('accept') ?? []).length === 0) {
    diags.error('GW_ERR_CONFIG_MISSING', `Missing required element: <accept> in ${label} (a ${type} service needs at least one)`, element.position);
  }
  const propertiesElement = first(children, 'properties');
  const http = HTTP_SERVICE_TYPES.includes(type);
  const properties = http ? { values: PROXY_DEFAULTS, legacyConnects: [] } : readProxyProperties(propertiesElement, type, diags);
  const directory = type === 'directory' ? readDirectoryProperties(propertiesElement, element, configDir, diags) : undefined;
  const redirect = type === 'http.redirect' ? readRedirectProperties(propertiesElement, element, diags) : undefined;
  const management = type === 'management.http' ? readManagementProperties(propertiesElement, diags) : undefined;
  const connectElements = [...(children.get('connect') ?? []), ...properties.legacyConnects].sort(byPosition);
  let connect: ConnectUri | undefined;
  if (type !== 'proxy') {
    const why = type === 'echo' ? 'it answers the client itself' : 'it answers requests itself';
    for (const c of connectElements) diags.error('GW_ERR_CONFIG_URI', `An ${type} service takes no <connect>: ${why}`, c.position, type === 'echo' ? 'remove the <connect>, or make the service a proxy' : 'remove the <connect>');
  } else {
    connect = readConnects(connectElements, label, element, diags);
  }
  if (accepts === undefined || (type === 'proxy' && connect === undefined) || (type === 'directory' && directory === undefined) || (type === 'http.redirect' && redirect === undefined) || nameResult === undefined) {
    return { draft: undefined, name: nameResult, realm };
  }
  const config: ServiceConfig = {
    name: nameResult.value,
    description: description === undefined ? undefined : leafText(description, diags),
    type,
    accepts,
    connect,
    properties: properties.values,
    acceptOptions: toAcceptOptions(acceptOptions, accepts.map((a) => a.scheme)),
    connectOptions: toConnectOptions(connectOptions),
    crossSiteConstraints,
    accessConstraints,
    realmName: realm?.name,
    authorization,
    directory,
    redirect,
    ...(management !== undefined ? { management } : {}),
    mimeMappings: mergeMimeMappings(ownMappings, defaults.mimeMappings),
    position: element.position,
  };
  checkTransportFit(config, connectOptions, acceptOptions.inactivityTimeoutMs, realm?.position, diags);
  return { draft: { config, acceptOptions }, name: nameResult, realm };
}

/** A host name or address only this machine reaches: credentials sent to it in the clear stay on the machine. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * What needs HTTP (an Origin, a request path) cannot apply to tcp:// and ssl:// accepts, and what is only sent
 * or done towards one kind of backend cannot apply to another: each such option is an error where it is written.
 */
function checkTransportFit(config: ServiceConfig, connectOptions: ConnectOptionSet, acceptInactivity: Located<number> | undefined, realmAt: SourcePosition | undefined, diags: Diagnostics): void {
  const label = `service "${config.name}"`;
  const own = (located: { inherited: boolean } | undefined): boolean => located !== undefined && !located.inherited;
  const streamAccept = config.accepts.find((a) => isStreamScheme(a.scheme));
  if (streamAccept !== undefined && config.accepts.every((a) => isStreamScheme(a.scheme)) && own(acceptInactivity) && (acceptInactivity?.value ?? 0) > 0) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<ws.inactivity.timeout> in the <accept-options> of ${label} is not supported on ${streamAccept.uri}: a byte-stream client cannot be pinged`, (acceptInactivity as Located<unknown>).position, 'remove it; TCP keep-alive finds clients that vanished');
  }
  if (streamAccept !== undefined) {
    for (const c of config.crossSiteConstraints) {
      diags.error('GW_ERR_CONFIG_VALUE', `<cross-site-constraint> in ${label} has no meaning on ${streamAccept.uri}: a byte stream carries no Origin`, c.position, 'move the tcp:// or ssl:// accept to a service of its own');
    }
    if (config.realmName !== undefined) {
      diags.error('GW_ERR_CONFIG_VALUE', `<realm-name> in ${label} has no meaning on ${streamAccept.uri}: a byte stream carries no credentials`, realmAt ?? config.position, 'move the tcp:// or ssl:// accept to a service of its own, or admit its clients by certificate');
    }
    for (const a of config.accessConstraints) {
      if (a.pathIdentity === undefined) continue;
      diags.error('GW_ERR_CONFIG_VALUE', `<path-identity> in ${label} has no meaning on ${streamAccept.uri}: a byte stream has no request path`, a.position, 'move the tcp:// or ssl:// accept to a service of its own');
    }
  }
  if (config.realmName !== undefined) {
    for (const a of config.accepts) {
      if ((a.scheme !== 'ws' && a.scheme !== 'http') || isLoopbackHost(a.listen.host)) continue;
      diags.warning(
        `<realm-name> ${config.realmName} in ${label}: the passwords and tokens its clients send to ${a.uri} cross the network in the clear (it is not TLS)`,
        a.position,
        'accept on wss:// or https:// only, or keep the plain accept to a network you trust',
      );
    }
  }
  const connect = config.connect;
  if (connect === undefined) return;
  const toWebSocket = isWebSocketScheme(connect.scheme);
  if (!toWebSocket) {
    const proxyProtocol = connectOptions.proxyProtocol;
    if (config.properties.connectStrategy === 'prepared' && proxyProtocol !== undefined && proxyProtocol.value !== 'none') {
      // A connection opened ahead of its client carries no PROXY header: the backend, which expects one, would take
      // the client's first bytes for it, and believe whatever address and certificate the client wrote there.
      // Inherited from <service-defaults> it applies all the same, so it is refused all the same, at the service.
      const from = own(proxyProtocol) ? '' : ' (from <service-defaults>)';
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `connect.strategy prepared cannot be combined with <tcp.proxy-protocol> ${proxyProtocol.value}${from} in ${label}: a connection opened ahead of its client carries no PROXY header, so the client's first bytes would be read as one`, own(proxyProtocol) ? proxyProtocol.position : config.position, 'use connect.strategy immediate (the default) with tcp.proxy-protocol, or drop one of the two');
    }
    if (own(connectOptions.httpHeaders)) {
      diags.error('GW_ERR_CONFIG_VALUE', `<http.header> in ${label} has no meaning for ${connect.uri}: headers go to ws:// and wss:// backends`, (connectOptions.httpHeaders as Located<unknown>).position, 'use tcp.proxy-protocol to tell a tcp:// or ssl:// backend who the client is');
    }
    if (own(connectOptions.inactivityTimeoutMs) && (connectOptions.inactivityTimeoutMs?.value ?? 0) > 0) {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<ws.inactivity.timeout> in the <connect-options> of ${label} is not supported for ${connect.uri}: a byte-stream backend cannot be pinged`, (connectOptions.inactivityTimeoutMs as Located<unknown>).position, 'remove it; <ws.inactivity.timeout> in <accept-options> watches the client side');
    }
  } else {
    if (own(connectOptions.proxyProtocol) && connectOptions.proxyProtocol?.value !== 'none') {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<tcp.proxy-protocol> in the <connect-options> of ${label} is not supported for ${connect.uri}`, (connectOptions.proxyProtocol as Located<unknown>).position, 'tell a WebSocket backend who the client is with <http.header>');
    }
    if (config.properties.connectStrategy === 'deferred') {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `connect.strategy deferred is not supported for ${connect.uri}: the backend's choice of subprotocol must be known before the client's upgrade is answered`, config.position, 'use immediate (the default)');
    }
    const webSocketAccept = config.accepts.find((a) => isWebSocketScheme(a.scheme));
    if (config.properties.connectStrategy === 'prepared' && webSocketAccept !== undefined) {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `connect.strategy prepared is not supported from ${webSocketAccept.uri} to ${connect.uri}: a WebSocket client's backend is asked for the client's subprotocols and told who it is, which a connection opened ahead of the client cannot be`, config.position, 'use immediate (the default); prepared serves tcp:// and ssl:// accepts');
    }
  }
  if (own(connectOptions.keystoreAlias) && !isTlsScheme(connect.scheme)) {
    diags.error('GW_ERR_CONFIG_VALUE', `<ssl.keystore.alias> in ${label} has no meaning for ${connect.uri}: it is not TLS`, (connectOptions.keystoreAlias as Located<unknown>).position, 'use an ssl:// or wss:// connect');
  }
  if (!isTlsScheme(connect.scheme)) {
    // Kaazing ignored them there too, so a file that has them still loads; but they change nothing, which is worth saying.
    for (const located of [connectOptions.ciphers, connectOptions.protocols]) {
      if (located === undefined || !own(located)) continue;
      diags.warning(`<${located.name}> in the <connect-options> of ${label} has no effect for ${connect.uri}: it is not TLS`, located.position, 'remove it, or connect to an ssl:// or wss:// backend');
    }
  }
}

function byPosition(a: XmlElement, b: XmlElement): number {
  return (a.position.line ?? 0) - (b.position.line ?? 0) || (a.position.column ?? 0) - (b.position.column ?? 0);
}

function readType(element: XmlElement, label: string, diags: Diagnostics): ServiceType | undefined {
  const type = leafText(element, diags);
  if ((SERVED_SERVICE_TYPES as readonly string[]).includes(type)) return type as ServiceType;
  if ((KAAZING_ONLY_SERVICE_TYPES as readonly string[]).includes(type)) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `the type '${type}' of ${label} is not supported by this gateway`, element.position, `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  } else if ((RETIRED_SERVICE_TYPES as readonly string[]).includes(type)) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `the type '${type}' of ${label} is no longer supported`, element.position, `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  } else {
    const all = [...SERVED_SERVICE_TYPES, ...KAAZING_ONLY_SERVICE_TYPES];
    const near = nearestName(type, all);
    diags.error('GW_ERR_CONFIG_VALUE', `Unrecognized service type: ${type} (${label})`, element.position, near ? `did you mean '${near}'?` : `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  }
  return undefined;
}

/** Refuses the service parts that would make the gateway weaker than the file (balancing). */
function refuseUnservedFeatures(children: Map<string, XmlElement[]>, label: string, diags: Diagnostics): void {
  for (const tag of ['balance', 'notify']) {
    for (const e of children.get(tag) ?? []) {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<${tag}> in ${label} is not supported: this gateway has no cluster balancing or notification`, e.position);
    }
  }
}

/** One `<mime-mapping>` (service or service-defaults); it applies to what a directory service serves. */
export function readMimeMapping(element: XmlElement, diags: Diagnostics): MimeMapping | undefined {
  const children = checkChildren(element, sequence('extension', 'mime-type'), diags);
  const extensionElement = first(children, 'extension');
  const typeElement = first(children, 'mime-type');
  if (extensionElement === undefined || typeElement === undefined) return undefined;
  const extension = leafText(extensionElement, diags).replace(/^\./, '').toLowerCase();
  const mimeType = leafText(typeElement, diags);
  let ok = true;
  if (!/^[a-z0-9_+~-][a-z0-9_.+~-]*$/.test(extension)) {
    diags.error('GW_ERR_CONFIG_VALUE', `Invalid <extension> "${extensionElement.text.trim()}": expected a file extension such as html`, extensionElement.position);
    ok = false;
  }
  // A media type as RFC 9110 §8.3.1 writes it, parameters allowed (text/html; charset=utf-8).
  if (!/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;\s*[\w!#$&^.+-]+=("[^"\r\n]*"|[\w!#$&^.+-]+))*$/.test(mimeType)) {
    diags.error('GW_ERR_CONFIG_VALUE', `Invalid <mime-type> "${mimeType}": expected a media type such as text/html or text/plain; charset=utf-8`, typeElement.position);
    ok = false;
  }
  return ok ? { extension, mimeType, position: element.position } : undefined;
}

/** The service's own mappings win over service-defaults', extension by extension; a later one wins in a list. */
function mergeMimeMappings(own: readonly MimeMapping[], defaults: readonly MimeMapping[]): MimeMapping[] {
  const byExtension = new Map<string, MimeMapping>();
  for (const m of [...defaults, ...own]) byExtension.set(m.extension, m);
  return [...byExtension.values()];
}

/**
 * HTTP services (directory) answer plain requests, so they accept on http:// and https:// only; WebSocket and
 * byte-stream services never on those.
 */
function acceptsFitType(accepts: readonly AcceptUri[], type: ServiceType, label: string, diags: Diagnostics): boolean {
  const http = HTTP_SERVICE_TYPES.includes(type);
  let fits = true;
  for (const a of accepts) {
    if (isHttpScheme(a.scheme) === http) continue;
    fits = false;
    if (http) diags.error('GW_ERR_CONFIG_URI', `A ${type} service answers HTTP requests: its accept must be http:// or https://, not ${a.uri} (${label})`, a.position, `write ${a.scheme === 'wss' || a.scheme === 'ssl' ? 'https' : 'http'}://${a.uri.replace(/^[a-z]+:\/\//i, '')}`);
    else diags.error('GW_ERR_CONFIG_URI', `A ${type} service serves ${type === 'proxy' ? 'WebSocket and byte-stream' : 'WebSocket'} clients: ${a.uri} is for HTTP services such as directory (${label})`, a.position, `write ${a.scheme === 'https' ? 'wss' : 'ws'}://${a.uri.replace(/^[a-z]+:\/\//i, '')}`);
  }
  return fits;
}

function readRealmName(element: XmlElement | undefined, diags: Diagnostics): ServiceResult['realm'] {
  if (element === undefined) return undefined;
  const name = leafText(element, diags);
  if (name !== '') return { name, position: element.position };
  diags.error('GW_ERR_CONFIG_MISSING', 'The <realm-name> is empty: it must name a <realm> of <security>', element.position);
  return undefined;
}

/**
 * Every `<authorization-constraint>` folded into one (roles add up, as Kaazing's do). Without a realm it would be
 * enforced by nothing, so it is an error rather than a silently open service.
 */
function readAuthorization(elements: readonly XmlElement[], realm: ServiceResult['realm'], label: string, diags: Diagnostics): AuthorizationConstraintConfig | undefined {
  const [head] = elements;
  if (head === undefined) return undefined;
  const requireRoles: string[] = [];
  let requireValidUser = false;
  for (const element of elements) {
    const children = checkChildren(element, anyOrder('require-role*', 'require-valid-user*'), diags);
    if (children.size === 0) diags.error('GW_ERR_CONFIG_MISSING', '<authorization-constraint> is empty: it needs <require-role> or <require-valid-user/>', element.position);
    for (const e of children.get('require-role') ?? []) {
      const role = leafText(e, diags);
      if (role === '') diags.error('GW_ERR_CONFIG_MISSING', 'The <require-role> is empty: it must name a role', e.position);
      else if (role === '*') requireValidUser = true; // Kaazing's spelling of require-valid-user
      else if (!requireRoles.includes(role)) requireRoles.push(role);
    }
    for (const e of children.get('require-valid-user') ?? []) {
      leafText(e, diags);
      requireValidUser = true;
    }
  }
  if (realm === undefined) {
    diags.error('GW_ERR_CONFIG_MISSING', `<authorization-constraint> in ${label} needs a <realm-name>: without a realm no client is authenticated, so no role could be checked`, head.position, 'add <realm-name> naming a <realm> of <security> before it');
  }
  return { requireRoles, requireValidUser, position: head.position };
}

function readAccepts(elements: readonly XmlElement[], options: AcceptOptionSet, diags: Diagnostics): AcceptUri[] | undefined {
  const parsedAccepts: { element: XmlElement; uri: string; parsed: ReturnType<typeof parseAcceptUri> }[] = [];
  let failed = false;
  for (const element of elements) {
    const uri = leafText(element, diags);
    const parsed = attempt(diags, element.position, () => parseAcceptUri(uri));
    if (parsed === undefined) failed = true;
    else parsedAccepts.push({ element, uri, parsed });
  }
  const isTls = (scheme: AcceptUri['scheme']): boolean => isTlsScheme(scheme) && options.encryption?.value !== false;
  // On a service that also has a TLS accept the options mean something, as Kaazing applied them to its TLS accepts
  // only: a plain accept beside it is warned about, not refused, so that such a Kaazing file still loads.
  const someTls = parsedAccepts.some((a) => isTls(a.parsed.scheme));
  const accepts: AcceptUri[] = [];
  for (const { element, uri, parsed } of parsedAccepts) {
    const tls = isTls(parsed.scheme);
    const verify = options.verifyClient;
    const useTls = parsed.scheme === 'ws' ? 'use a wss:// accept' : parsed.scheme === 'tcp' ? 'use an ssl:// accept' : `remove ${options.encryption?.name ?? 'ssl.encryption'} disabled`;
    const apart = `its clients are admitted without a certificate; move ${uri} to a service of its own to say so, or remove it`;
    if (!tls && verify !== undefined && verify.value !== 'none' && !verify.inherited) {
      const message = `${verify.name} ${verify.value} (${describePosition(verify.position)}) has no meaning on ${uri}: it is not TLS`;
      if (someTls) diags.warning(`${message}, so it applies to this service's TLS accepts only`, element.position, apart);
      else {
        failed = true;
        diags.error('GW_ERR_CONFIG_VALUE', message, element.position, useTls);
      }
    } else if (!tls && verify !== undefined && verify.value !== 'none') {
      // From <service-defaults>, meant for the TLS services: a plain accept under it is allowed, and said to admit all.
      diags.warning(
        `${verify.name} ${verify.value} of <service-defaults> (${describePosition(verify.position)}) does not apply to ${uri}: it is not TLS, so its clients are admitted without a certificate`,
        element.position,
        someTls ? apart : `${useTls} if they must present one; or write <ssl.verify-client>none</ssl.verify-client> in this service's <accept-options> to say so`,
      );
    }
    for (const located of [options.crl, options.verifyDepth]) {
      if (tls || located === undefined || located.inherited) continue;
      const message = `${located.name} (${describePosition(located.position)}) has no meaning on ${uri}: it is not TLS, so no client certificate is checked`;
      if (someTls) diags.warning(`${message} there`, element.position, apart);
      else {
        failed = true;
        diags.error('GW_ERR_CONFIG_VALUE', message, element.position, `${useTls}, or remove the option`);
      }
    }
    const listen = effectiveBind(options.binds, parsed.scheme) ?? { host: parsed.host, port: parsed.port };
    accepts.push({ uri, ...parsed, listen, position: element.position });
  }
  if (!someTls && parsedAccepts.length > 0) {
    for (const located of [options.ciphers, options.protocols]) {
      if (located === undefined || located.inherited) continue;
      diags.warning(`<${located.name}> has no effect: no accept of this service is TLS (${parsedAccepts.map((a) => a.uri).join(', ')})`, located.position, 'remove it, or accept on wss:// or ssl://');
    }
  }
  return failed ? undefined : accepts;
}

/** ssl.crl and ssl.verify-depth judge client certificates: written on a service that asks for none, they are a mistake. */
function checkClientCheckOptions(options: AcceptOptionSet, label: string, diags: Diagnostics): void {
  // An ssl.verify-client that did not parse is reported; taking it for none would add an error about a value never written.
  if (options.verifyClientUnread === true) return;
  const verifyClient = options.verifyClient?.value ?? 'none';
  if (verifyClient !== 'none') return;
  for (const [option, located] of [['ssl.crl', options.crl], ['ssl.verify-depth', options.verifyDepth]] as const) {
    if (located === undefined || located.inherited) continue;
    diags.error(
      'GW_ERR_CONFIG_VALUE',
      `<${option}> in ${label} has no meaning with ssl.verify-client none: no client certificate is asked for, so none is checked`,
      located.position,
      'set ssl.verify-client to required (or optional), or remove the option',
    );
  }
}

/**
 * A PROXY protocol header carries the client address the gateway then logs and checks access-constraints with;
 * accepted from anyone, it lets any client claim any address. So a port that reads one must name who may send it.
 */
function checkProxyProtocolTrust(options: AcceptOptionSet, label: string, service: XmlElement, diags: Diagnostics): void {
  const protocol = options.proxyProtocol;
  const trusted = options.proxyProtocolTrusted;
  if (protocol !== undefined && protocol.value !== 'none' && trusted === undefined) {
    diags.error(
      'GW_ERR_CONFIG_MISSING',
      `tcp.proxy-protocol ${protocol.value} (${describePosition(protocol.position)}) in ${label} needs <tcp.proxy-protocol.trusted>: a port that takes a PROXY header from any peer lets every client claim any address, defeating <client-address> rules and the address in the logs`,
      protocol.inherited ? service.position : protocol.position,
      'list the load balancers that send the header, e.g. <tcp.proxy-protocol.trusted>10.0.0.0/8</tcp.proxy-protocol.trusted>',
    );
  }
  if (trusted !== undefined && !trusted.inherited && (protocol === undefined || protocol.value === 'none')) {
    diags.warning(`<tcp.proxy-protocol.trusted> in ${label} has no effect: tcp.proxy-protocol is none, so no PROXY header is read`, trusted.position, 'set tcp.proxy-protocol to v1 or v2, or remove it');
  }
}

function readConnects(elements: readonly XmlElement[], label: string, service: XmlElement, diags: Diagnostics): ConnectUri | undefined {
  const [used, ...unused] = elements;
  if (used === undefined) {
    diags.error('GW_ERR_CONFIG_MISSING', `Missing required element: <connect> in ${label}`, service.position, 'a proxy needs a backend such as <connect>tcp://backend:5000</connect>');
    return undefined;
  }
  for (const e of unused) {
    diags.warning(`Only the first <connect> of ${label} is used (${describePosition(used.position)}); this one is ignored`, e.position);
  }
  const uri = leafText(used, diags);
  const parsed = attempt(diags, used.position, () => parseConnectUri(uri));
  return parsed === undefined ? undefined : { uri, ...parsed, position: used.position };
}

function readCrossSite(element: XmlElement, diags: Diagnostics): CrossSiteConstraint[] {
  const children = checkChildren(element, sequence('allow-origin', 'allow-methods?', 'allow-headers?', 'maximum-age?'), diags);
  const origin = first(children, 'allow-origin');
  if (origin === undefined) return [];
  const allowOrigin = leafText(origin, diags);
  if (allowOrigin !== '*' && !isOrigin(allowOrigin)) {
    diags.error('GW_ERR_CONFIG_VALUE', `Invalid <allow-origin> "${allowOrigin}": expected * or an origin such as https://app.example.com:8443`, origin.position);
    return [];
  }
  const text = (name: string): string | undefined => {
    const e = first(children, name);
    return e === undefined ? undefined : leafText(e, diags);
  };
  const ageElement = first(children, 'maximum-age');
  const maximumAgeS = ageElement === undefined ? undefined : attempt(diags, ageElement.position, () => parseSeconds(leafText(ageElement, diags)));
  return [{ allowOrigin, allowMethods: text('allow-methods'), allowHeaders: text('allow-headers'), maximumAgeS, position: element.position }];
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.origin !== 'null' && (url.pathname === '/' || url.pathname === '') && !text.endsWith('/') && url.search === '' && url.username === '';
  } catch {
    return false;
  }
}

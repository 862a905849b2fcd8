/**
 * One `<service>` element → a ServiceConfig. Problems are recorded and checking goes on; a service of a type
 * this gateway does not serve is still checked for everything that does not depend on its type.
 */
import { attempt, describePosition, type Diagnostics } from './diagnostics.js';
import { mergeAccept, mergeConnect, readAcceptOptions, readConnectOptions, effectiveBind, toAcceptOptions, toConnectOptions, type AcceptOptionSet, type ConnectOptionSet } from './options.js';
import { readProxyProperties } from './proxy-properties.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { AcceptUri, ConnectUri, CrossSiteConstraint, ServiceConfig, ServiceType, SourcePosition } from './types.js';
import { parseAcceptUri, parseConnectUri } from './uris.js';
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
);

export interface ServiceDefaults {
  readonly accept: AcceptOptionSet;
  readonly connect: ConnectOptionSet;
}

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
  /** `<realm-name>` values, so that the realm check knows which realms are named. */
  readonly realmNames: readonly string[];
}

export function readService(element: XmlElement, defaults: ServiceDefaults, diags: Diagnostics): ServiceResult {
  const children = checkChildren(element, SERVICE_CONTENT, diags);
  const nameElement = first(children, 'name');
  const name = nameElement === undefined ? undefined : leafText(nameElement, diags);
  if (nameElement !== undefined && name === '') diags.error('GW_ERR_CONFIG_MISSING', 'The service <name> is empty', nameElement.position);
  const label = name ? `service "${name}"` : 'this service';

  const realmNames = refuseUnservedFeatures(children, label, diags);
  const acceptOptions = mergeAccept(readAcceptOptions(first(children, 'accept-options'), false, diags), defaults.accept);
  const connectOptions = mergeConnect(readConnectOptions(first(children, 'connect-options'), false, diags), defaults.connect);
  const crossSiteConstraints = (children.get('cross-site-constraint') ?? []).flatMap((e) => readCrossSite(e, diags));
  const description = first(children, 'description');

  const typeElement = first(children, 'type');
  const type = typeElement === undefined ? undefined : readType(typeElement, diags);
  const nameResult = nameElement && name ? { value: name, position: nameElement.position } : undefined;
  if (type === undefined) return { draft: undefined, name: nameResult, realmNames };

  const accepts = readAccepts(children.get('accept') ?? [], acceptOptions, diags);
  if ((children.get('accept') ?? []).length === 0) {
    diags.error('GW_ERR_CONFIG_MISSING', `Missing required element: <accept> in ${label} (a ${type} service needs at least one)`, element.position);
  }
  const properties = readProxyProperties(first(children, 'properties'), type, diags);
  const connectElements = [...(children.get('connect') ?? []), ...properties.legacyConnects].sort(byPosition);
  let connect: ConnectUri | undefined;
  if (type === 'echo') {
    for (const c of connectElements) diags.error('GW_ERR_CONFIG_URI', `An echo service takes no <connect>: it answers the client itself`, c.position, 'remove the <connect>, or make the service a proxy');
  } else {
    connect = readConnects(connectElements, label, element, diags);
  }
  if (accepts === undefined || (type === 'proxy' && connect === undefined) || nameResult === undefined) {
    return { draft: undefined, name: nameResult, realmNames };
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
    position: element.position,
  };
  return { draft: { config, acceptOptions }, name: nameResult, realmNames };
}

function byPosition(a: XmlElement, b: XmlElement): number {
  return (a.position.line ?? 0) - (b.position.line ?? 0) || (a.position.column ?? 0) - (b.position.column ?? 0);
}

function readType(element: XmlElement, diags: Diagnostics): ServiceType | undefined {
  const type = leafText(element, diags);
  if ((SERVED_SERVICE_TYPES as readonly string[]).includes(type)) return type as ServiceType;
  if ((KAAZING_ONLY_SERVICE_TYPES as readonly string[]).includes(type)) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `service type '${type}' is not supported by this gateway`, element.position, `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  } else if ((RETIRED_SERVICE_TYPES as readonly string[]).includes(type)) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `service type '${type}' is no longer supported`, element.position, `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  } else {
    const all = [...SERVED_SERVICE_TYPES, ...KAAZING_ONLY_SERVICE_TYPES];
    const near = nearestName(type, all);
    diags.error('GW_ERR_CONFIG_VALUE', `Unrecognized service type: ${type}`, element.position, near ? `did you mean '${near}'?` : `supported types: ${SERVED_SERVICE_TYPES.join(', ')}`);
  }
  return undefined;
}

/** Refuses the service parts that would make the gateway weaker than the file (auth, balancing); warns on mime-mapping. */
function refuseUnservedFeatures(children: Map<string, XmlElement[]>, label: string, diags: Diagnostics): string[] {
  const realmNames: string[] = [];
  for (const e of children.get('realm-name') ?? []) {
    const realm = e.text.trim();
    realmNames.push(realm);
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<realm-name>${realm}</realm-name> in ${label} is not supported: this gateway has no realms or login modules, and serving without them would skip authentication`, e.position, 'authenticate clients by certificate (ssl.verify-client) instead');
  }
  for (const e of children.get('authorization-constraint') ?? []) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<authorization-constraint> in ${label} is not supported: serving without it would admit every client`, e.position);
  }
  for (const tag of ['balance', 'notify']) {
    for (const e of children.get(tag) ?? []) {
      diags.error('GW_ERR_CONFIG_UNSUPPORTED', `<${tag}> in ${label} is not supported: this gateway has no cluster balancing or notification`, e.position);
    }
  }
  for (const e of children.get('mime-mapping') ?? []) readMimeMapping(e, diags);
  return realmNames;
}

export function readMimeMapping(element: XmlElement, diags: Diagnostics): void {
  const children = checkChildren(element, sequence('extension', 'mime-type'), diags);
  const extension = first(children, 'extension');
  diags.warning(`<mime-mapping>${extension ? ` for "${extension.text.trim()}"` : ''} is ignored: this gateway serves no files over HTTP`, element.position);
}

function readAccepts(elements: readonly XmlElement[], options: AcceptOptionSet, diags: Diagnostics): AcceptUri[] | undefined {
  const accepts: AcceptUri[] = [];
  let failed = false;
  for (const element of elements) {
    const uri = leafText(element, diags);
    const parsed = attempt(diags, element.position, () => parseAcceptUri(uri));
    if (parsed === undefined) {
      failed = true;
      continue;
    }
    const tls = parsed.scheme === 'wss' && options.encryption?.value !== false;
    const verify = options.verifyClient;
    if (!tls && verify !== undefined && verify.value !== 'none' && !verify.inherited) {
      failed = true;
      diags.error('GW_ERR_CONFIG_VALUE', `ssl.verify-client ${verify.value} (${describePosition(verify.position)}) has no meaning on ${uri}: it is not TLS`, element.position, parsed.scheme === 'ws' ? 'use a wss:// accept' : 'remove ssl.encryption disabled');
    }
    const listen = effectiveBind(options.binds, parsed.scheme) ?? { host: parsed.host, port: parsed.port };
    accepts.push({ uri, ...parsed, listen, position: element.position });
  }
  return failed ? undefined : accepts;
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

/**
 * A service's `<properties>`. For a proxy: the four proxy properties and the legacy `<connect>`; an echo service
 * has none. Services of unsupported types never get here (their properties are theirs, not ours).
 */
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseDataSize, parseEnum, parseNonNegativeInteger, parseSeconds } from './grammar.js';
import { anyOrder, checkChildren, first, leafText } from './structure.js';
import type { ConnectStrategy, ProxyProperties, ServiceType } from './types.js';
import type { XmlElement } from './xml.js';

export const PROXY_DEFAULTS: ProxyProperties = {
  maximumPendingBytes: 64000,
  maximumRecoveryIntervalS: 0,
  connectStrategy: 'immediate',
};

const PROXY_CONTENT = anyOrder('maximum.pending.bytes?', 'maximum.recovery.interval?', 'connect.strategy?', 'prepared.connection.count?', 'connect*');

export interface PropertiesResult {
  readonly values: ProxyProperties;
  /** Legacy `<properties><connect>` elements, which count as connects. */
  readonly legacyConnects: readonly XmlElement[];
}

export function readProxyProperties(block: XmlElement | undefined, type: ServiceType, diags: Diagnostics): PropertiesResult {
  if (block === undefined) return { values: PROXY_DEFAULTS, legacyConnects: [] };
  if (type === 'echo') {
    // Legacy connects are returned so the service reports them as connects on an echo service.
    const connects = block.children.filter((c) => c.name === 'connect');
    for (const c of block.children) {
      if (c.name !== 'connect') diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `Unknown element <${c.name}> in <properties>: an echo service has no properties`, c.position);
    }
    return { values: PROXY_DEFAULTS, legacyConnects: connects };
  }

  const children = checkChildren(block, PROXY_CONTENT, diags);
  const read = <T>(name: string, parse: (text: string) => T): T | undefined => {
    const element = first(children, name);
    return element === undefined ? undefined : attempt(diags, element.position, () => parse(leafText(element, diags)));
  };
  const maximumPendingBytes = read('maximum.pending.bytes', (t) => {
    const size = parseDataSize(t);
    if (size === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', 'maximum.pending.bytes must be at least 1 byte', { hint: 'the default is 64000' });
    return size;
  });
  const maximumRecoveryIntervalS = read('maximum.recovery.interval', parseSeconds);
  const strategy = read('connect.strategy', (t) => parseEnum(t, ['immediate', 'deferred', 'prepared'] as const, 'connect.strategy'));
  const preparedCount = read('prepared.connection.count', parseNonNegativeInteger);

  if (strategy === 'prepared') {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', 'connect.strategy "prepared" is not supported: this gateway does not open backend connections ahead of clients', (first(children, 'connect.strategy') as XmlElement).position, 'use immediate or deferred');
  }
  if (preparedCount !== undefined && preparedCount > 0) {
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', `prepared.connection.count ${preparedCount} is not supported: this gateway does not open backend connections ahead of clients`, (first(children, 'prepared.connection.count') as XmlElement).position, 'remove it or set it to 0');
  }
  const connectStrategy: ConnectStrategy = strategy === 'deferred' ? 'deferred' : 'immediate';
  return {
    values: {
      maximumPendingBytes: maximumPendingBytes ?? PROXY_DEFAULTS.maximumPendingBytes,
      maximumRecoveryIntervalS: maximumRecoveryIntervalS ?? PROXY_DEFAULTS.maximumRecoveryIntervalS,
      connectStrategy,
    },
    legacyConnects: children.get('connect') ?? [],
  };
}

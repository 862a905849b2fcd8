/**
 * A service's `<properties>`. For a proxy: Kaazing's four proxy properties, `close.timeout` and `idle.timeout` (ours), and the legacy
 * `<connect>`; an echo service has none. Services of unsupported types never get here (their properties are theirs, not ours).
 */
import { GatewayError } from '../errors.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseDataSize, parseEnum, parseNonNegativeInteger, parseSeconds, parseTimeout } from './grammar.js';
import { anyOrder, checkChildren, first, leafText, reportUnrecognised } from './structure.js';
import type { ConnectStrategy, ProxyProperties, ServiceType } from './types.js';
import type { XmlElement } from './xml.js';

export const PROXY_DEFAULTS: ProxyProperties = {
  maximumPendingBytes: 64000,
  maximumRecoveryIntervalS: 0,
  connectStrategy: 'immediate',
  preparedConnectionCount: 0,
  closeTimeoutMs: 5000,
  idleTimeoutMs: 0,
};

/**
 * The most prepared connections a service keeps: the pool opens them all at once, so a count meant as "plenty" (or
 * a typo) would open sockets without end. `connect --prepared` has the same bound.
 */
export const MAXIMUM_PREPARED_CONNECTIONS = 1000;

const ECHO_KAAZING_PROPERTY = 'repeat';

const PROXY_CONTENT = anyOrder('maximum.pending.bytes?', 'maximum.recovery.interval?', 'connect.strategy?', 'prepared.connection.count?', 'close.timeout?', 'idle.timeout?', 'connect*');

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
      if (c.name === 'connect') continue;
      // <repeat> is Kaazing's one echo property; other names belong to other service types.
      if (c.name === ECHO_KAAZING_PROPERTY) reportUnrecognised(block, c, [], diags);
      else diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `Unknown element <${c.name}> in <properties>: an echo service has no properties`, c.position);
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
  const maximumRecoveryIntervalS = read('maximum.recovery.interval', (t) => {
    parseTimeout(t);
    return parseSeconds(t);
  });
  const strategy = read('connect.strategy', (t) => parseEnum(t, ['immediate', 'deferred', 'prepared'] as const, 'connect.strategy'));
  const preparedCount = read('prepared.connection.count', (t) => {
    const n = parseNonNegativeInteger(t);
    if (n > MAXIMUM_PREPARED_CONNECTIONS) throw new GatewayError('GW_ERR_CONFIG_VALUE', `prepared.connection.count is at most ${MAXIMUM_PREPARED_CONNECTIONS}, got ${n}`);
    return n;
  });

  const closeTimeoutMs = read('close.timeout', (t) => {
    const ms = parseTimeout(t);
    if (ms === 0) throw new GatewayError('GW_ERR_CONFIG_VALUE', 'close.timeout must be longer than 0', { hint: 'a connection one side has closed would be cut at once; the default is 5 seconds' });
    return ms;
  });

  const idleTimeoutMs = read('idle.timeout', parseTimeout);

  const countElement = first(children, 'prepared.connection.count');
  // A count that was refused has been reported at itself: it is not missing as well.
  if (strategy === 'prepared' && (countElement === undefined || preparedCount === 0)) {
    diags.error('GW_ERR_CONFIG_MISSING', 'connect.strategy "prepared" needs <prepared.connection.count> of at least 1: how many backend connections to keep ready', (first(children, 'connect.strategy') as XmlElement).position, 'add <prepared.connection.count>1</prepared.connection.count>');
  }
  if (countElement !== undefined && preparedCount !== undefined && preparedCount > 0 && strategy !== 'prepared') {
    diags.warning(`prepared.connection.count ${preparedCount} has no effect: connect.strategy is ${strategy ?? 'immediate'}`, countElement.position, 'set connect.strategy to prepared, or remove it');
  }
  const connectStrategy: ConnectStrategy = strategy ?? 'immediate';
  return {
    values: {
      maximumPendingBytes: maximumPendingBytes ?? PROXY_DEFAULTS.maximumPendingBytes,
      maximumRecoveryIntervalS: maximumRecoveryIntervalS ?? PROXY_DEFAULTS.maximumRecoveryIntervalS,
      connectStrategy,
      preparedConnectionCount: strategy === 'prepared' ? (preparedCount ?? 0) : 0,
      closeTimeoutMs: closeTimeoutMs ?? PROXY_DEFAULTS.closeTimeoutMs,
      idleTimeoutMs: idleTimeoutMs ?? PROXY_DEFAULTS.idleTimeoutMs,
    },
    legacyConnects: children.get('connect') ?? [],
  };
}

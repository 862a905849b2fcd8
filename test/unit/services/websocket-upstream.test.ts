import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { webSocketUpstream } from '../../../src/services/websocket-upstream.js';
import type { UpgradeHeader, WebSocketConnector } from '../../../src/upstream/ws-connector.js';
import { config, doc, parse } from '../../helpers/config.js';

/** A tcp:// accept carried to a ws:// backend, with two <http.header> lines: one the same for everyone, one not. */
const SERVICE = config(
  parse(
    doc(
      '  <service>',
      '    <name>bridge</name>',
      '    <accept>tcp://h:5000</accept>',
      '    <connect>ws://backend:8080/x</connect>',
      '    <type>proxy</type>',
      '    <connect-options>',
      '      <http.header>X-Api-Key: k1</http.header>',
      '      <http.header>clientId: {ssl.client.CN}</http.header>',
      '    </connect-options>',
      '  </service>',
    ),
  ),
).services[0]!;

test('a probe (no client yet) sends the headers without a variable, and a backend that refuses its upgrade is reachable', async () => {
  const sent: UpgradeHeader[][] = [];
  let outcome: 'open' | GatewayError = 'open';
  const connector: WebSocketConnector = async (_target, upgrade) => {
    sent.push([...upgrade.headers]);
    if (outcome !== 'open') throw outcome;
    return { websocket: { terminate: () => undefined } as never, protocol: '', halfClose: false };
  };
  const upstream = webSocketUpstream(SERVICE, connector, undefined);
  await upstream.probe();
  assert.deepEqual(sent[0], [{ name: 'X-Api-Key', value: 'k1' }]);
  // It wants what only a client's headers carry: it answered, so it is up.
  outcome = new GatewayError('GW_ERR_UPSTREAM_HANDSHAKE', 'ws://backend:8080/x answered the upgrade with 401 Unauthorized');
  await upstream.probe();
  outcome = new GatewayError('GW_ERR_UPSTREAM_CONNECT', 'Connection to ws://backend:8080/x failed: ECONNREFUSED');
  await assert.rejects(upstream.probe(), { code: 'GW_ERR_UPSTREAM_CONNECT' });
});

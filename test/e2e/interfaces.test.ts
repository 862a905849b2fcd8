/** Kaazing's network-interface syntax through bin/gateway: `[@lo]` is resolved at start-up; a missing one is refused at line:col. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { workspace } from '../helpers/e2e-setup.js';
import { event } from '../helpers/deadline.js';
import { GatewayProcess, runGateway } from '../helpers/gateway-process.js';

const loopback = Object.entries(networkInterfaces()).find(([name]) => name.toLowerCase() === 'lo');
const loopbackV4 = loopback?.[1]?.find((a) => a.family === 'IPv4')?.address;

describe('network interfaces in accept URIs', () => {
  const space = workspace();
  after(() => space.cleanup());

  test('ws://[@lo]:0/echo listens on the loopback interface', { skip: loopbackV4 === undefined ? 'this machine has no "lo" interface with an IPv4 address' : false }, async () => {
    const gw = await GatewayProcess.start(space.config(`
  <service>
    <name>echo</name>
    <accept>ws://[@lo]:0/echo</accept>
    <type>echo</type>
  </service>`, 'lo.xml'));
    try {
      const ws = new WebSocket(`ws://${loopbackV4}:${gw.port('ws://[@lo]:0/echo')}/echo`);
      await event(ws, 'open', 'the client on the loopback address to connect');
      ws.send('over lo');
      const [data] = await event<[Buffer]>(ws, 'message', 'the echo');
      assert.equal(data.toString(), 'over lo');
      ws.terminate();
    } finally {
      await gw.stop();
    }
  });

  test('an interface the machine does not have is refused at its line and column, naming the ones it has', async () => {
    const file = space.config(`
  <service>
    <name>echo</name>
    <accept>ws://[@no-such-interface]:0/echo</accept>
    <type>echo</type>
  </service>`, 'missing.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /missing\.xml:6:5: error GW_ERR_CONFIG_VALUE: Network interface "no-such-interface" does not exist on this machine \(its interfaces are .+\)/);
  });
});

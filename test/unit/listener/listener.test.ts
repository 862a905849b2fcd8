import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { WebSocketServer } from 'ws';
import { compileAccessRules } from '../../../src/auth/access.js';
import { Listener } from '../../../src/listener/listener.js';
import { EchoService } from '../../../src/services/echo.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

function plainListener(): Listener {
  const service = new EchoService(serviceConfig({ name: 'echo', type: 'echo' }));
  const accept = { uri: 'ws://127.0.0.1:0/echo', scheme: 'ws', host: '127.0.0.1', port: 0, path: '/echo', listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } } as const;
  return new Listener({
    listen: { host: '127.0.0.1', port: 0 },
    tls: undefined,
    verifyClient: 'none',
    verifyDepth: undefined,
    keepAliveTimeoutMs: 5000,
    proxyProtocol: undefined,
    routes: [{ accept, service, wss: new WebSocketServer({ noServer: true }), access: compileAccessRules([]) }],
    log: memoryLog().log,
  });
}

function upgradeRequest(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

function statusOf(port: number, path: string): Promise<string> {
  const status = new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(upgradeRequest(path)));
    s.once('data', (d: Buffer) => {
      resolve(d.toString().split('\r\n')[0] ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
  return withDeadline(status, WAIT_MS, `the status line of an upgrade to ${path}`);
}

test('a client that resets right after a refused upgrade harms no one', async (t) => {
  const listener = plainListener();
  const { port } = await withDeadline(listener.listen(), WAIT_MS, 'the listener to bind');
  t.after(() => listener.close());
  for (let i = 0; i < 20; i++) {
    const s = connect(port, '127.0.0.1', () => {
      s.write(upgradeRequest('/nope'));
      s.resetAndDestroy();
    });
    s.on('error', () => {});
    await event(s, 'close', 'the resetting client to close');
  }
  assert.equal(await statusOf(port, '/nope'), 'HTTP/1.1 404 Not Found');
  assert.equal(await statusOf(port, '/echo'), 'HTTP/1.1 101 Switching Protocols');
});

test('a closed listener answers upgrades still in flight with 503 and releases its port', async () => {
  const listener = plainListener();
  const { port } = await withDeadline(listener.listen(), WAIT_MS, 'the listener to bind');
  const s = connect(port, '127.0.0.1');
  await event(s, 'connect', 'the client to connect');
  const closed = listener.close();
  const reply = event<[Buffer]>(s, 'data', 'the reply to an upgrade in flight');
  s.write(upgradeRequest('/echo'));
  assert.equal((await reply)[0].toString().split('\r\n')[0], 'HTTP/1.1 503 Service Unavailable');
  s.destroy();
  listener.destroyConnections();
  await withDeadline(closed, WAIT_MS, 'the listener to close');
});

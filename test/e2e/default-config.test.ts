/** The default conf/gateway-config.xml runs on a fresh clone, with its development PKI (ports moved to 0 by -D). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { repoPath } from '../helpers/paths.js';
import { freePorts, tcpEcho, type Backend } from '../helpers/tcp-servers.js';
import { event } from '../helpers/deadline.js';

let gw: GatewayProcess;
let backend: Backend;
let ports: { plain: number; secure: number };

before(async () => {
  backend = await tcpEcho();
  // The default file puts ws:// and wss:// on two ports; port 0 for both would make them one listener, so two free
  // ports are picked here instead.
  const [plain = 0, secure = 0] = await freePorts(2);
  gw = await GatewayProcess.start(undefined, ['-D', `gateway.port=${plain}`, '-D', `gateway.secure.port=${secure}`, '-D', `backend.address=127.0.0.1:${backend.port}`]);
  ports = { plain, secure };
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

test('start-up logs the configuration file, each accept and the start time, as Kaazing does', () => {
  const messages = gw.lines.map((l) => l.msg);
  assert.ok(messages.some((m) => /^Configuration file: .*gateway-config\.xml$/.test(m)));
  assert.ok(messages.includes('Starting server'));
  assert.ok(messages.some((m) => m.includes(`ws://localhost:${ports.plain}/echo`)));
  assert.ok(messages.some((m) => /^Started server successfully in \d+\.\d+ secs$/.test(m)));
});

test('the plain echo service answers', async () => {
  const ws = new WebSocket(`ws://localhost:${ports.plain}/echo`);
  await event(ws, 'open', `${ws.url} to open`);
  ws.send('ping');
  const [reply] = await event<[Buffer]>(ws, 'message', 'the echo of "ping"');
  assert.equal(reply.toString(), 'ping');
  ws.ping('are you there');
  const [pong] = await event<[Buffer]>(ws, 'pong', 'the pong to a ping');
  assert.equal(pong.toString(), 'are you there');
  ws.close();
});

test('the development client certificate reaches the TCP backend through the mutual-TLS proxy', async () => {
  const pki = (f: string) => readFileSync(repoPath('conf', 'dev-pki', f));
  const port = ports.secure;
  const ws = new WebSocket(`wss://localhost:${port}/tcp`, { ca: pki('ca.pem'), cert: pki('client.pem'), key: pki('client.key') });
  await event(ws, 'open', `${ws.url} to open`);
  ws.send(Buffer.from('through the proxy'));
  const [reply] = await event<[Buffer]>(ws, 'message', 'the echo through the proxy');
  assert.equal(reply.toString(), 'through the proxy');
  ws.ping('over TLS');
  const [pong] = await event<[Buffer]>(ws, 'pong', 'the pong to a ping');
  assert.equal(pong.toString(), 'over TLS');
  ws.close();
});

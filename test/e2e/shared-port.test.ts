/**
 * ws:// and wss:// accepts on one port, as Kaazing allows: the first byte of each connection tells TLS from plain
 * HTTP. Real ws clients over each transport, a client that sends nothing (the handshake deadline still closes it)
 * and clients whose every byte arrives in a segment of its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { testPki } from '../helpers/pki.js';

const CONFIG = `
  <service>
    <name>plain</name>
    <accept>ws://localhost:0/echo</accept>
    <type>echo</type>
    <accept-options><ws.handshake.timeout>1s</ws.handshake.timeout></accept-options>
  </service>
  <service>
    <name>secure</name>
    <accept>wss://localhost:0/echo</accept>
    <accept>wss://localhost:0/secure</accept>
    <type>echo</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
      <ws.handshake.timeout>1s</ws.handshake.timeout>
    </accept-options>
  </service>${PEM_SECURITY}`;

/** Relays client → gateway one byte per TCP segment, each written only after the one before was sent. */
function trickleRelay(target: number): Server {
  return createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: 'localhost', port: target, noDelay: true });
    upstream.pipe(client);
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        queue = queue.then(() => new Promise<void>((resolve) => upstream.write(Buffer.of(byte), () => resolve())));
      }
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
}

async function echoOnce(url: string, options: WebSocket.ClientOptions = {}): Promise<string> {
  const ws = new WebSocket(url, options);
  try {
    await event(ws, 'open', `${url} to open`);
    ws.send('hello');
    const [data] = await event<[Buffer]>(ws, 'message', `the echo from ${url}`);
    return data.toString();
  } finally {
    ws.terminate();
  }
}

function tlsOptions(): WebSocket.ClientOptions {
  const pki = testPki();
  return { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
}

describe('ws:// and wss:// on one port', () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let port: number;
  let relay: Server;
  let relayPort: number;

  before(async () => {
    space = workspace();
    gw = await GatewayProcess.start(space.config(CONFIG));
    port = gw.port('ws://localhost:0/echo');
    assert.equal(gw.port('wss://localhost:0/echo'), port, 'one port for both');
    relay = trickleRelay(port).listen(0, 'localhost');
    await event(relay, 'listening', 'the relay to listen');
    relayPort = (relay.address() as { port: number }).port;
  });

  after(async () => {
    relay?.close();
    await gw?.stop();
    space?.cleanup();
  });

  test('a ws:// client and a wss:// client with its certificate are both served on the port', async () => {
    assert.equal(await echoOnce(`ws://localhost:${port}/echo`), 'hello');
    assert.equal(await echoOnce(`wss://localhost:${port}/echo`, tlsOptions()), 'hello');
  });

  test('each transport is routed among its own accepts and keeps its own TLS options', async () => {
    // /secure is a wss:// accept only: over plain HTTP it does not exist.
    const plain = new WebSocket(`ws://localhost:${port}/secure`);
    plain.on('error', () => undefined); // terminate() below aborts the refused handshake
    const [, response] = await event<[unknown, { statusCode: number }]>(plain, 'unexpected-response', 'the plain upgrade to /secure to be refused');
    assert.equal(response.statusCode, 404);
    plain.terminate();
    // ssl.verify-client required holds for the TLS side: without a certificate the handshake is refused.
    const pki = testPki();
    const anonymous = new WebSocket(`wss://localhost:${port}/echo`, { ca: pki.ca.cert });
    await event(anonymous, 'error', 'a wss:// client without a certificate to be refused');
  });

  test('clients whose every byte arrives on its own are served, over ws:// and wss://', async () => {
    assert.equal(await echoOnce(`ws://localhost:${relayPort}/echo`), 'hello');
    assert.equal(await echoOnce(`wss://localhost:${relayPort}/echo`, tlsOptions()), 'hello');
  });

  test('a client that sends nothing is closed when the handshake deadline expires', async () => {
    const socket: Socket = connect({ host: 'localhost', port });
    await event(socket, 'connect', 'the silent client to connect');
    const started = Date.now();
    await withDeadline(new Promise((resolve) => socket.once('close', resolve)), WAIT_MS, 'the gateway to close a client that sends nothing');
    // Closed as a browser's unused spare connection is: said at debug, refused nothing.
    assert.ok(Date.now() - started >= 900, 'not before ws.handshake.timeout');
  });
});

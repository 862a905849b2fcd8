/**
 * The load client against real servers: a `ws` WebSocket server over mutual TLS (as the gateway and websockify
 * speak), a bare TLS echo (as nginx stream), and plain TCP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createServer as createNetServer, type Server as NetServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptKey, FrameReader, OPCODE } from '../../../../bench/client/frame.js';
import { openLink, receive, type ClientTls } from '../../../../bench/client/link.js';
import { testPki } from '../../../helpers/pki.js';
import { WAIT_MS, event, withDeadline } from '../../../helpers/deadline.js';

let https: HttpsServer;
let wss: WebSocketServer;
let tlsEcho: TlsServer;
let tcpEcho: NetServer;
let tls: ClientTls;
let onServerClose: (code: number) => void = () => undefined;

async function listen(server: NetServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'a test server to listen');
  return (server.address() as AddressInfo).port;
}

before(() => {
  const pki = testPki();
  tls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
  const serverTls = { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true };
  https = createHttpsServer(serverTls);
  wss = new WebSocketServer({ server: https, path: '/bench' });
  wss.on('connection', (ws) => {
    let ponged = false;
    ws.on('pong', () => (ponged = true));
    ws.on('message', (data: Buffer) => {
      // A few words that make the server do something other than echo, for the close and ping tests.
      const text = data.toString();
      if (text === 'close-me') ws.close(4001, 'asked to');
      else if (text === 'ping-me') {
        ws.ping();
        ws.send('pinged');
      }
      else if (text === 'ponged?') ws.send(String(ponged));
      else ws.send(data);
    });
    ws.on('close', (code) => onServerClose(code));
  });
  tlsEcho = createTlsServer(serverTls, (s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  tcpEcho = createNetServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
});

after(() => {
  wss.close();
  https.close();
  tlsEcho.close();
  tcpEcho.close();
});

test('ws: mutual TLS, upgrade, a message and its echo, a clean close', async () => {
  const port = await listen(https);
  const link = await openLink({ protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, tls);
  const got: Buffer[] = [];
  const echoed = receive(link, 70000);
  const prev = link.onBytes;
  link.onBytes = (c) => {
    got.push(Buffer.from(c));
    prev(c);
  };
  const payload = Buffer.alloc(70000, 7);
  link.socket.write(link.frame(payload));
  await echoed;
  assert.deepEqual(Buffer.concat(got), payload);
  const serverClosed = withDeadline(new Promise<number>((resolve) => (onServerClose = resolve)), WAIT_MS, 'the server to see the close');
  await withDeadline(link.close(), WAIT_MS, 'the link to close');
  assert.equal(await serverClosed, 1000);
});

test('ws: the close frame the server sent is kept, code and reason', async () => {
  const port = (https.address() as AddressInfo).port;
  const link = await openLink({ protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, tls);
  assert.equal(link.peerClose, undefined);
  const closed = event(link.socket, 'close', 'the link closing after the server closed it');
  link.socket.write(link.frame(Buffer.from('close-me')));
  await closed;
  assert.deepEqual(link.peerClose, { code: 4001, reason: 'asked to' });
});

test('ws: pings are answered unless the link is told not to', async () => {
  const port = (https.address() as AddressInfo).port;
  for (const answerPings of [true, false]) {
    const link = await openLink({ protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, tls, { answerPings });
    try {
      // 'pinged' follows the ping, so a pong (if any) is written before the question, and read by the server first.
      const pinged = receive(link, 'pinged'.length);
      link.socket.write(link.frame(Buffer.from('ping-me')));
      await pinged;
      let answer = '';
      const replied = receive(link, String(answerPings).length);
      const count = link.onBytes;
      link.onBytes = (c) => {
        answer += c.toString();
        count(c);
      };
      link.socket.write(link.frame(Buffer.from('ponged?')));
      await replied;
      assert.equal(answer, String(answerPings));
    } finally {
      link.destroy();
    }
  }
});

test('ws-plain: WebSocket without TLS, for ws:// accepts', async () => {
  const plain = createHttpServer();
  const plainWss = new WebSocketServer({ server: plain, path: '/plain' });
  plainWss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  const port = await listen(plain);
  const link = await openLink({ protocol: 'ws-plain', host: '127.0.0.1', port, path: '/plain' }, tls);
  const echoed = receive(link, 5, WAIT_MS);
  link.socket.write(link.frame(Buffer.from('plain')));
  await echoed;
  await withDeadline(link.close(), WAIT_MS, 'the plain link to close');
  plainWss.close();
  await withDeadline(new Promise((resolve) => plain.close(resolve)), WAIT_MS, 'the plain server to close');
});

test('ws: a ping that arrives after our close frame is not answered, and the server\'s close frame still arrives', async () => {
  // A server that pings in answer to the client's close frame and sends its own close frame a moment later: a pong
  // written to the client's ended socket would fail it before that close frame could be read.
  // Half-open: the server's side stays open after the client's FIN, as a server finishing its closing handshake.
  const server = createNetServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    let head = '';
    const reader = new FrameReader({
      data: () => undefined,
      control: (opcode) => {
        if (opcode !== OPCODE.close) return;
        socket.write(Buffer.from([0x89, 0x00]));
        setTimeout(() => socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8])), 50);
      },
    });
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
      socket.on('data', (c: Buffer) => reader.push(c));
    };
    socket.on('data', onHead);
  });
  const port = await listen(server);
  try {
    const link = await openLink({ protocol: 'ws-plain', host: '127.0.0.1', port, path: '/' }, tls);
    await withDeadline(link.close(), WAIT_MS, 'the link to close');
    assert.deepEqual(link.peerClose, { code: 1000, reason: '' });
  } finally {
    await withDeadline(new Promise((resolve) => server.close(resolve)), WAIT_MS, 'the raw server to close');
  }
});

test('ws: an upgrade the server refuses fails the open with the status line', async () => {
  const port = (https.address() as AddressInfo).port;
  await assert.rejects(openLink({ protocol: 'ws', host: '127.0.0.1', port, path: '/elsewhere' }, tls), /upgrade refused: "HTTP\/1\.1 400|closed the connection before answering/);
});

test('ws: without a client certificate the TLS server refuses the connection', async () => {
  const port = (https.address() as AddressInfo).port;
  const pki = testPki();
  await assert.rejects(openLink({ protocol: 'ws', host: '127.0.0.1', port, path: '/bench' }, { ...tls, cert: pki.untrustedClient.cert, key: pki.untrustedClient.key }));
});

test('receive gives up on a server that does not answer', async () => {
  // Reads and drops everything, so that it sees the client's FIN and lets close() finish.
  const silent = createNetServer((s) => {
    s.on('error', () => s.destroy());
    s.resume();
  });
  const port = await listen(silent);
  const link = await openLink({ protocol: 'tcp', host: '127.0.0.1', port, path: '/' }, tls);
  link.socket.write('anyone?');
  await assert.rejects(receive(link, 7, 50), /0 of 7 expected bytes after 0.05 s/);
  link.destroy();
  await withDeadline(new Promise((resolve) => silent.close(resolve)), WAIT_MS, 'the silent server to close');
});

test('tls and tcp: bytes go as they are', async () => {
  for (const [protocol, server] of [
    ['tls', tlsEcho],
    ['tcp', tcpEcho],
  ] as const) {
    const port = await listen(server);
    const link = await openLink({ protocol, host: '127.0.0.1', port, path: '/' }, tls);
    const payload = Buffer.from('hello, sink');
    assert.equal(link.frame(payload), payload);
    const echoed = receive(link, payload.length);
    link.socket.write(link.frame(payload));
    await echoed;
    await withDeadline(link.close(), WAIT_MS, `the ${protocol} link to close`);
    assert.ok(link.socket.destroyed);
  }
});

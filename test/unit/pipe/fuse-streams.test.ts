import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamEnd, WebSocketEnd } from '../../../src/pipe/ends.js';
import { fuse } from '../../../src/pipe/fuse.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

/** A connected pair of sockets on loopback, both ends allowed to stay half-open. */
async function socketPair(): Promise<{ near: net.Socket; far: net.Socket; close: () => void }> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening');
  const accepted = event<[net.Socket]>(server, 'connection');
  const far = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const [near] = await accepted;
  await event(far, 'connect');
  return { near, far, close: () => server.close() };
}

test('byte stream to byte stream: a client half-close is passed on, and the response after it still arrives', async (t) => {
  const front = await socketPair(); // far: the client; near: the gateway's downstream socket
  const back = await socketPair(); // near: the gateway's upstream socket; far: the backend
  t.after(() => {
    front.close();
    back.close();
  });
  // The backend answers once it has the whole request, that is once it sees the FIN.
  let request = '';
  back.far.on('data', (d: Buffer) => (request += d.toString()));
  back.far.on('end', () => back.far.end(`response to ${request}`));
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  let response = '';
  front.far.on('data', (d: Buffer) => (response += d.toString()));
  front.far.end('request');
  await event(front.far, 'end', 'Socket', WAIT_MS);
  assert.equal(response, 'response to request');
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.bytesDownstreamToUpstream, 7);
  assert.equal(r.bytesUpstreamToDownstream, 'response to request'.length);
  assert.equal(r.forced, false);
});

test('byte stream to WebSocket: a client half-close becomes a close frame, and what the backend sent before its close still arrives', async (t) => {
  const front = await socketPair(); // far: the client; near: the gateway's downstream socket
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await event(wss, 'listening');
  t.after(() => {
    front.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  // The backend answers the request at once: the answer crosses the close frame that the client's FIN became.
  wss.on('connection', (peer: WebSocket) => {
    peer.on('message', (d: Buffer) => peer.send(`reply to ${d.toString()}`));
  });
  const backend = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
  await event(backend, 'open');
  const result = fuse(new StreamEnd(front.near), new WebSocketEnd(backend), { maximumPendingBytes: 64_000 });
  let response = '';
  front.far.on('data', (d: Buffer) => (response += d.toString()));
  front.far.end('hello');
  await event(front.far, 'end', 'Socket', WAIT_MS);
  assert.equal(response, 'reply to hello');
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.bytesUpstreamToDownstream, 'reply to hello'.length);
  assert.equal(r.forced, false);
});

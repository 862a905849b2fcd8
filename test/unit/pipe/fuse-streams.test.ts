import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TLSSocket, connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamEnd, WebSocketEnd } from '../../../src/pipe/ends.js';
import { fuse } from '../../../src/pipe/fuse.js';
import { WAIT_MS, event, turnsUntil, withDeadline } from '../../helpers/deadline.js';
import { testPki } from '../../helpers/pki.js';
import { readBytes } from '../../helpers/ws-rig.js';

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
  const front = closing(t, await socketPair()); // far: the client; near: the gateway's downstream socket
  const back = closing(t, await socketPair()); // near: the gateway's upstream socket; far: the backend
  respondAfterRequest(back.far);
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

test('byte stream to byte stream: a side that never ends after the other\'s half-close is cut once it has been silent for the close deadline', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => back.far.write('ok')); // answers, and never ends its side
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  front.far.on('data', () => undefined);
  front.far.end('x');
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.forced, true);
  assert.equal(r.reason, 'downstream closed; cut after 0.2 s without finishing its close');
  assert.equal(r.bytesUpstreamToDownstream, 2, 'the answer after the half-close still went through');
});

test('byte stream to byte stream: after a half-close, an answer that keeps coming is not cut, the deadline counting from the last of it', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => undefined).on('end', () => answerInPieces(back.far, 10, 100));
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 500 });
  let got = '';
  front.far.on('data', (d: Buffer) => (got += d.toString()));
  front.far.end('request');
  await event(front.far, 'end', 'Socket', WAIT_MS);
  assert.equal(got, Array.from({ length: 10 }, (_, i) => `piece ${i + 1}`).join(';'));
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).forced, false);
});

test('byte stream to byte stream: after a half-close, a download whose reader stalls longer than the close deadline is not cut', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  const size = 8 * 1024 * 1024;
  back.far.on('data', () => undefined).on('end', () => back.far.end(Buffer.alloc(size, 7)));
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  front.far.end('GET firmware');
  // The reader stalls for three close deadlines (the stall is what is tested), most of the answer still on its way.
  front.far.pause();
  await new Promise((resolve) => setTimeout(resolve, 600));
  let got = 0;
  front.far.on('data', (d: Buffer) => (got += d.length));
  front.far.resume();
  await event(front.far, 'end', 'Socket', WAIT_MS);
  assert.equal(got, size);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.forced, false);
  assert.equal(r.bytesUpstreamToDownstream, size);
});

test('idle.timeout: a pipe through which nothing moves either way is closed, each byte stream with its FIN', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => undefined);
  front.far.on('data', () => undefined);
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, idleTimeoutMs: 200 });
  const clientEnd = event(front.far, 'end', 'the client to get its FIN');
  const backendEnd = event(back.far, 'end', 'the backend to get its FIN');
  await Promise.all([clientEnd, backendEnd]);
  front.far.end();
  back.far.end();
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.deepEqual([r.closedBy, r.cause, r.reason], ['error', 'idle', 'idle for 0.2 s (idle.timeout)']);
});

test('idle.timeout: bytes moving either way keep a pipe open past it', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', (d: Buffer) => back.far.write(d));
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, idleTimeoutMs: 300 });
  let echoed = '';
  front.far.on('data', (d: Buffer) => (echoed += d.toString()));
  // Ten pieces 100 ms apart: a second in all, each gap a third of the idle deadline.
  for (let i = 0; i < 10; i++) {
    front.far.write(`${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  front.far.end();
  back.far.on('end', () => back.far.end());
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(echoed, '0123456789');
  assert.equal(r.cause, 'downstream_closed');
});

/** A client that writes more than the system and the gateway hold for a backend that stopped reading, is held back, then leaves. */
async function heldBackClientLeaves(front: { near: net.Socket; far: net.Socket }, back: { near: net.Socket }): Promise<void> {
  front.far.write(Buffer.alloc(16 * 1024 * 1024));
  // Held back for good: the system's buffers towards the backend are full, and the client's socket is paused.
  await turnsUntil(() => front.near.isPaused() && back.near.writableLength > 0, 'the client to be held back');
  front.far.destroy();
}

test('idle.timeout: a client gone while held back by a backend that stopped reading is let go, and so is the backend', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  back.far.pause(); // reads nothing until the pipe is over
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, idleTimeoutMs: 300 });
  await heldBackClientLeaves(front, back);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  // Whether the client's FIN was read (a half-close the backend never answers) or not, the idle deadline ends it.
  assert.match(r.reason, /idle for 0\.3 s \(idle\.timeout\)/);
  // The backend is let go too: what the gateway held for it, then its end (a FIN when all of it was with the system,
  // a reset when some could not go).
  const gone = withDeadline(
    new Promise<void>((resolve) => {
      back.far.on('data', () => undefined).once('end', resolve).once('error', () => resolve());
    }),
    WAIT_MS,
    'the backend to get its end',
  );
  back.far.resume();
  await gone;
});

test('a byte stream whose FIN still waits behind bytes it has not written is reset by abort(), not ended as if whole', async (t) => {
  const pair = closing(t, await socketPair());
  const told = withDeadline(
    new Promise<string>((resolve) => {
      pair.far.once('end', () => resolve('end')).once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    }),
    WAIT_MS,
    'the peer to be told',
  );
  const end = new StreamEnd(pair.near);
  end.attach({ data: () => undefined, ended: () => undefined, failed: () => undefined, closed: () => undefined });
  end.write(Buffer.alloc(64 * 1024 * 1024), true, () => undefined);
  end.close();
  // Once the peer is reading, with most of it still to write.
  await event(pair.far, 'data', 'the peer to read');
  pair.far.on('data', () => undefined);
  assert.ok(pair.near.writableEnded && pair.near.writableLength > 0, 'the FIN waits behind what is not written');
  end.abort();
  assert.equal(await told, 'ECONNRESET');
});

test('what the backend sent before the pipe (held) reaches the client first, in order, ahead of what it sends next, and is counted', async (t) => {
  const front = closing(t, await socketPair()); // far: the client; near: the gateway's downstream socket
  const back = closing(t, await socketPair()); // near: the gateway's upstream socket; far: the backend
  destroying(t, front, back);
  // Sent before the pipe but not yet read by the gateway: it must come after what was held.
  back.far.write('250 next\r\n');
  const held = [Buffer.from('220 mail.example.com '), Buffer.from('ready\r\n')].map((data) => ({ data, binary: true }));
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000, held });
  let received = '';
  front.far.on('data', (d: Buffer) => (received += d.toString()));
  back.far.end();
  await event(front.far, 'end', 'the client to see the end', WAIT_MS);
  assert.equal(received, '220 mail.example.com ready\r\n250 next\r\n');
  front.far.end();
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.bytesUpstreamToDownstream, received.length);
});

test('held bytes past maximumPendingBytes leave the backend paused when the pipe starts, until the client has read them', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  destroying(t, front, back);
  front.far.pause();
  const held = [{ data: Buffer.alloc(4096, 'g'), binary: true }];
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 1024, held });
  // Attaching the backend resumed it; what went first already filled the direction, so it is paused again.
  assert.equal(back.near.isPaused(), true, 'the backend is not read while the held bytes are queued');
  const all = readBytes(front.far, 4096 + 5);
  front.far.resume();
  back.far.end('after');
  assert.equal((await all).toString(), 'g'.repeat(4096) + 'after');
  front.far.end();
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.bytesUpstreamToDownstream, 4096 + 5);
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

/** Writes `piece 1;` … `piece N` to `socket`, `gapMs` apart, ending with the last: a backend's slow answer. */
function answerInPieces(socket: net.Socket, count: number, gapMs: number): void {
  let n = 0;
  const next = (): void => {
    if (++n === count) socket.end(`piece ${n}`);
    else {
      socket.write(`piece ${n};`);
      setTimeout(next, gapMs);
    }
  };
  next();
}

/** Closes `pair` when the test ends. */
function closing<T extends { close(): void }>(t: { after(fn: () => void): void }, pair: T): T {
  t.after(() => pair.close());
  return pair;
}

/** Destroys the sockets of `pairs` when the test ends, so that one that fails leaves no pipe open. */
function destroying(t: { after(fn: () => void): void }, ...pairs: { near: net.Socket; far: net.Socket }[]): void {
  t.after(() => {
    for (const { near, far } of pairs) {
      near.destroy();
      far.destroy();
    }
  });
}

/** A backend that answers once it has the whole request, that is once it sees the FIN: `response to REQUEST`. */
function respondAfterRequest(socket: net.Socket): void {
  let request = '';
  socket.on('data', (d: Buffer) => (request += d.toString()));
  socket.on('end', () => socket.end(`response to ${request}`));
}

/** A WebSocket client and the server's side of it, on loopback. */
async function webSocketPair(): Promise<{ client: WebSocket; server: WebSocket; close: () => void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await event(wss, 'listening');
  const accepted = event<[WebSocket]>(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
  const [server] = await accepted;
  if (client.readyState !== WebSocket.OPEN) await event(client, 'open');
  return {
    client,
    server,
    close: () => {
      for (const c of wss.clients) c.terminate();
      client.terminate();
      wss.close();
    },
  };
}

test('WebSocket to byte stream: a close frame after a request is passed on as a FIN, and the response still comes back before the answer', async (t) => {
  const front = closing(t, await webSocketPair()); // client: the WebSocket client; server: the gateway's downstream
  const back = closing(t, await socketPair()); // near: the gateway's upstream socket; far: the backend
  respondAfterRequest(back.far);
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  const messages: string[] = [];
  front.client.on('message', (d: Buffer) => messages.push(d.toString()));
  // The request and the close leave together, as `gateway connect` sends a local client's data and FIN.
  front.client.send('request');
  front.client.close(1000, 'done');
  const [code] = await event<[number]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.deepEqual(messages, ['response to request']);
  assert.equal(code, 1000);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.reason, 'downstream closed (1000)');
  assert.equal(r.bytesUpstreamToDownstream, 'response to request'.length);
  assert.equal(r.forced, false);
});

test('byte stream to WebSocket backend: the backend closing after its answer reaches the client as a FIN, and what the client sends after it still reaches the backend', async (t) => {
  const front = closing(t, await socketPair()); // far: the client; near: the gateway's downstream socket
  const back = closing(t, await webSocketPair()); // client: the gateway's upstream; server: the WebSocket backend
  const received: string[] = [];
  back.server.on('message', (d: Buffer) => received.push(d.toString()));
  const backendClosed = event<[number]>(back.server, 'close', 'WebSocket', WAIT_MS);
  const result = fuse(new StreamEnd(front.near), new WebSocketEnd(back.client, { holdClose: 'at-attach' }), { maximumPendingBytes: 64_000 });
  // The backend speaks first and closes; the client reads it all, then answers and half-closes.
  back.server.send('greeting');
  back.server.close(1000);
  let got = '';
  front.far.on('data', (d: Buffer) => (got += d.toString()));
  await event(front.far, 'end', 'Socket', WAIT_MS);
  assert.equal(got, 'greeting');
  front.far.end('answer');
  const [code] = await backendClosed;
  assert.equal(code, 1000);
  assert.deepEqual(received, ['answer']);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'upstream');
  assert.equal(r.bytesDownstreamToUpstream, 'answer'.length);
  assert.equal(r.forced, false);
});

test("a backend that answers and never ends its side after the client's close: the client's close is answered cleanly at the close deadline", async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  // Answers the request at its FIN, and keeps its side open.
  back.far.on('data', () => undefined).on('end', () => back.far.write('answer'));
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  const got = event<[Buffer]>(front.client, 'message', 'WebSocket', WAIT_MS);
  front.client.send('request');
  front.client.close(1000);
  assert.equal(String((await got)[0]), 'answer');
  const [code] = await event<[number]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.equal(code, 1000);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.forced, true);
  assert.equal(r.reason, 'downstream closed (1000); cut after 0.2 s without finishing its close');
});

test("a backend that gives no answer after the client's close: the close is answered with 1011 at the close deadline, not as an empty answer", async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => undefined); // reads, never answers, and keeps its side open after the FIN
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  front.client.close(1000);
  const [code, reason] = await event<[number, Buffer]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.deepEqual([code, String(reason)], [1011, 'no answer within 0.2 s of the close']);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.forced, true);
  assert.equal(r.reason, 'downstream closed (1000); cut after 0.2 s without finishing its close');
});

test('after a half-close, an answer that keeps coming is not cut by the close deadline, which counts from the last of it', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  // Ten pieces 100 ms apart: about 0.9 s in all, longer than the close deadline, each gap a fifth of it.
  back.far.on('end', () => answerInPieces(back.far, 10, 100));
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 500 });
  let got = '';
  front.client.on('message', (d: Buffer) => (got += d.toString()));
  front.client.close(1000);
  await event(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.equal(got, Array.from({ length: 10 }, (_, i) => `piece ${i + 1}`).join(';'));
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.forced, false);
});

test('a WebSocket backend that closes with a failure (1011, 1008) reaches a byte-stream client as a reset', async (t) => {
  for (const code of [1011, 1008]) {
    const front = closing(t, await socketPair()); // far: the client; near: the gateway's downstream socket
    const back = closing(t, await webSocketPair()); // client: the gateway's upstream; server: the WebSocket backend
    const result = fuse(new StreamEnd(front.near), new WebSocketEnd(back.client, { holdClose: 'at-attach' }), { maximumPendingBytes: 64_000 });
    // A gateway further on whose own backend reset: what came before (a reset may drop it, as a backend's own reset
    // may), then a close that says so.
    back.server.send('partial');
    back.server.close(code, 'upstream error: ECONNRESET');
    front.far.resume();
    front.far.on('end', () => assert.fail(`the client was given a clean end for ${code}`));
    const [err] = await event<[NodeJS.ErrnoException]>(front.far, 'error', 'Socket', WAIT_MS);
    assert.equal(err.code, 'ECONNRESET');
    const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
    assert.equal(r.closedBy, 'error');
    assert.equal(r.cause, 'upstream_error');
    assert.equal(r.reason, `upstream closed (${code}: upstream error: ECONNRESET)`);
  }
});

test('a backend that is reset is passed on to a byte-stream client as a reset, not a clean end', async (t) => {
  const front = closing(t, await socketPair());
  const back = closing(t, await socketPair());
  const result = fuse(new StreamEnd(front.near), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  front.far.on('end', () => assert.fail('the client was given a clean end'));
  const failed = event<[NodeJS.ErrnoException]>(front.far, 'error', 'Socket', WAIT_MS);
  back.far.resetAndDestroy();
  assert.equal((await failed)[0].code, 'ECONNRESET');
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'error');
});

test('a WebSocket client that ends its TCP side right after its close frame still gets the close answered', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => undefined); // keeps its side open after the FIN
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  // What a client that wants nothing more does: its close frame, then its FIN, at once.
  const raw = (front.client as unknown as { _socket: net.Socket })._socket;
  const frames: Buffer[] = [];
  raw.removeAllListeners('data');
  raw.on('data', (d: Buffer) => frames.push(d));
  raw.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])); // masked close frame, code 1000
  await event(raw, 'close', 'Socket', WAIT_MS);
  const got = Buffer.concat(frames);
  assert.equal(got[0], 0x88, `a close frame came back: ${got.toString('hex')}`);
  assert.equal(got.readUInt16BE(2), 1000);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.closedBy, 'downstream');
});

test('a client that did not say it reads after its close (a browser) has its close answered at once, and the backend its FIN', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  const backendEnded = event(back.far, 'end', 'Socket', WAIT_MS);
  back.far.on('data', () => undefined); // keeps its side open after the FIN
  const result = fuse(new WebSocketEnd(front.server), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 60_000 });
  front.client.close(4000, 'bye');
  const [code, reason] = await event<[number, Buffer]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.equal(code, 4000);
  assert.equal(reason.toString(), 'bye');
  await backendEnded;
  back.far.end();
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).forced, false);
});

test("a held close is answered with the client's own code and reason", async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  back.far.on('end', () => back.far.end());
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  front.client.close(4000, 'client reason');
  const [code, reason] = await event<[number, Buffer]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.deepEqual([code, reason.toString()], [4000, 'client reason']);
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).code, 4000);
});

test('a close that comes before the pipe is attached is held, and the pipe then passes it on as a FIN', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  const end = new WebSocketEnd(front.server, { holdClose: 'now' });
  // The request and the close arrive while the backend is still being connected (a deferred connect).
  const early: Buffer[] = [];
  const closeHeld = new Promise<void>((resolve) => end.attach({ data: (d) => early.push(...(Buffer.isBuffer(d) ? [d] : d)), ended: () => resolve(), failed: () => undefined, closed: () => undefined }));
  front.client.send('request');
  front.client.close(1000);
  await withDeadline(closeHeld, WAIT_MS, 'the close to be held');
  end.detach();
  assert.equal(end.holdingClose, true);
  let request = '';
  back.far.on('data', (d: Buffer) => (request += d.toString()));
  back.far.on('end', () => back.far.end(`response to ${request}`));
  const messages: string[] = [];
  front.client.on('message', (d: Buffer) => messages.push(d.toString()));
  const result = fuse(end, new StreamEnd(back.near), { maximumPendingBytes: 64_000, initial: early.map((data) => ({ data, binary: true })) });
  const [code] = await event<[number]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.equal(code, 1000);
  assert.deepEqual(messages, ['response to request']);
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).forced, false);
});

test('while a close is held, the keep-alive stops: a closed peer answers no ping, and the close deadline bounds the wait', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  // A backend that answers, slowly, for longer than the inactivity timeout.
  back.far.on('end', () => answerInPieces(back.far, 4, 150));
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach', inactivityTimeoutMs: 100 }), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  let got = '';
  front.client.on('message', (d: Buffer) => (got += d.toString()));
  front.client.close(1000);
  const [code] = await event<[number]>(front.client, 'close', 'WebSocket', WAIT_MS);
  assert.equal(code, 1000);
  assert.equal(got, 'piece 1;piece 2;piece 3;piece 4');
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).forced, false);
});

test('at the close deadline, a backend that was sent its FIN but reads slowly is not reset: what the system holds for it arrives', async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  back.far.pause();
  const result = fuse(new WebSocketEnd(front.server), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  const sent = Buffer.alloc(100_000, 'u');
  front.client.send(sent);
  front.client.close(1000);
  await event(front.client, 'close', 'WebSocket', WAIT_MS);
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.forced, true);
  // The backend reads only now, after the deadline.
  let received = 0;
  back.far.on('data', (d: Buffer) => (received += d.length));
  back.far.resume();
  await event(back.far, 'end', 'Socket', WAIT_MS);
  assert.equal(received, sent.length);
});

test("a held close answered at the close deadline, whose peer then never closes, is destroyed one deadline later", async (t) => {
  const front = closing(t, await webSocketPair());
  const back = closing(t, await socketPair());
  back.far.on('data', () => undefined); // keeps its side open after the FIN
  // A client that sends its close and then neither answers ours nor closes TCP.
  const raw = (front.client as unknown as { _socket: net.Socket })._socket;
  raw.removeAllListeners('data');
  raw.removeAllListeners('end');
  raw.on('data', () => undefined);
  // Nor does it end its side when the gateway ends its own.
  (raw as { allowHalfOpen: boolean }).allowHalfOpen = true;
  const result = fuse(new WebSocketEnd(front.server, { holdClose: 'at-attach' }), new StreamEnd(back.near), { maximumPendingBytes: 64_000, closeTimeoutMs: 200 });
  raw.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])); // masked close frame, code 1000
  const r = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(r.forced, true);
  assert.equal(r.closedBy, 'downstream');
});

test("ws still keeps what the held close reads of it: whether the peer's close frame has come, and its socket", async (t) => {
  const front = closing(t, await webSocketPair());
  const concluded = event(front.server, 'close', 'WebSocket', WAIT_MS);
  const internals = front.server as unknown as { _closeFrameReceived?: unknown; _socket?: unknown };
  assert.equal(internals._closeFrameReceived, false);
  assert.ok(internals._socket instanceof net.Socket);
  front.client.close(1000);
  await concluded;
  assert.equal(internals._closeFrameReceived, true);
});

test('a backend that is reset reaches a TLS client the gateway accepted as a reset too', async (t) => {
  const { server: cert, ca } = testPki();
  const front = closing(t, await socketPair()); // near: the accepted TCP socket; far: the client's
  const back = closing(t, await socketPair());
  const accepted = new TLSSocket(front.near, { isServer: true, cert: cert.cert, key: cert.key });
  const client = tlsConnect({ socket: front.far, ca: ca.cert, servername: 'localhost' });
  await event(client, 'secureConnect', 'TLSSocket', WAIT_MS);
  const result = fuse(new StreamEnd(accepted), new StreamEnd(back.near), { maximumPendingBytes: 64_000 });
  client.on('end', () => assert.fail('the client was given a clean end'));
  const failed = event<[NodeJS.ErrnoException]>(client, 'error', 'TLSSocket', WAIT_MS);
  // Everything the client sent has been read and passed on when the backend goes.
  const arrived = event(back.far, 'data', 'Socket', WAIT_MS);
  client.write('request');
  await arrived;
  back.far.resetAndDestroy();
  assert.equal((await failed)[0].code, 'ECONNRESET');
  assert.equal((await withDeadline(result, WAIT_MS, 'the pipe to finish')).closedBy, 'error');
});

/**
 * A TLS backend on port 0 and the gateway's connection to it, opened as the connector opens an ssl:// backend (the
 * TLS socket makes its own TCP connection); `peer` is the backend's side. Both are closed when the test ends.
 */
async function tlsUpstream(t: { after(fn: () => unknown): void }): Promise<{ upstream: TLSSocket; peer: TLSSocket }> {
  const { server: cert, ca } = testPki();
  const backendSockets: TLSSocket[] = [];
  const backend = createTlsServer({ cert: cert.cert, key: cert.key }, (s) => {
    s.on('error', () => undefined);
    backendSockets.push(s);
  });
  backend.listen(0, '127.0.0.1');
  await event(backend, 'listening');
  t.after(() => {
    for (const s of backendSockets) s.destroy();
    backend.close();
  });
  const accepted = event<[TLSSocket]>(backend, 'secureConnection', 'the backend', WAIT_MS);
  const upstream = tlsConnect({ port: (backend.address() as net.AddressInfo).port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost' });
  upstream.on('error', () => undefined);
  await event(upstream, 'secureConnect', 'TLSSocket', WAIT_MS);
  const [peer] = await accepted;
  return { upstream, peer };
}

test('a client that is reset reaches a TLS backend the gateway opened as a reset too, not as a clean end', async (t) => {
  const front = closing(t, await socketPair()); // near: the gateway's downstream socket; far: the client
  const { upstream, peer } = await tlsUpstream(t);
  const result = fuse(new StreamEnd(front.near), new StreamEnd(upstream), { maximumPendingBytes: 64_000 });
  peer.on('end', () => assert.fail('the backend was given a clean end'));
  const failed = event<[NodeJS.ErrnoException]>(peer, 'error', 'the backend', WAIT_MS);
  const arrived = event(peer, 'data', 'the backend', WAIT_MS);
  front.far.write('request');
  await arrived;
  front.far.resetAndDestroy();
  assert.equal((await failed)[0].code, 'ECONNRESET');
  const ended = await withDeadline(result, WAIT_MS, 'the pipe to finish');
  assert.equal(ended.closedBy, 'error');
  // A byte-stream client's reset is the client gone, as a WebSocket client's lost connection is: no protocol fault.
  assert.equal(ended.cause, 'downstream_lost');
});

test('a TLS backend the gateway opened still closes when it fails while its FIN is on its way', async (t) => {
  const { upstream } = await tlsUpstream(t);
  const closed = event(upstream, 'close', 'the upstream socket to close', WAIT_MS);
  // The FIN is asked for, and the shutdown is under way (its close_notify written, the TCP shutdown queued) when the
  // failure comes: a reset is refused then, and the socket must close all the same.
  upstream.end();
  await new Promise((resolve) => process.nextTick(resolve));
  assert.equal(upstream.writableEnded && !upstream.writableFinished, true, 'the shutdown is pending');
  new StreamEnd(upstream).abort();
  await closed;
});

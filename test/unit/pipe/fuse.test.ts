import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import WebSocket, { type ClientOptions, type ServerOptions } from 'ws';
import { fuse, type PipeOptions, type PipeResult } from '../../../src/pipe/fuse.js';
import { StreamEnd, WebSocketEnd } from '../../../src/pipe/ends.js';
import {
  backend,
  connectBackend,
  listenerCounts,
  readBytes,
  receive,
  sha256,
  wsPair,
  type Backend,
  type WsPair,
} from '../../helpers/ws-rig.js';
import { testPki } from '../../helpers/pki.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

interface Rig extends WsPair {
  readonly upstream: net.Socket;
  /** The backend's end of the upstream connection. */
  readonly peer: net.Socket;
  readonly result: Promise<PipeResult>;
  /** Checks fuse removed its listeners and restored binaryType, then closes both servers. */
  finish(): Promise<void>;
}

interface RigOptions {
  pipe?: Partial<Omit<PipeOptions, 'initial'>> & { initial?: Buffer[]; inactivityTimeoutMs?: number };
  server?: ServerOptions;
  client?: ClientOptions;
  backend?: net.ServerOpts;
  /** Runs after both sides are connected and before fuse() is called. */
  beforeFuse?: (pair: WsPair, upstream: net.Socket, peer: net.Socket) => Promise<void> | void;
}

async function rig(options: RigOptions = {}): Promise<Rig> {
  const b: Backend = await backend(options.backend);
  const pair = await wsPair({ server: options.server, client: options.client });
  const { upstream, peer } = await connectBackend(b);
  peer.on('error', () => {}); // resets are part of several tests
  const wsBefore = listenerCounts(pair.serverWs);
  // The gateway makes a client's end when it accepts it, before any backend is connected.
  const { initial, inactivityTimeoutMs, ...pipe } = options.pipe ?? {};
  const downstream = new WebSocketEnd(pair.serverWs, { inactivityTimeoutMs });
  await options.beforeFuse?.(pair, upstream, peer);
  const upBefore = listenerCounts(upstream);
  const binaryType = pair.serverWs.binaryType;
  const result = fuse(downstream, new StreamEnd(upstream), {
    maximumPendingBytes: 64_000,
    ...pipe,
    initial: initial?.map((data) => ({ data, binary: true })),
  });
  return {
    ...pair,
    upstream,
    peer,
    // The deadline runs from the moment a test waits for the result.
    get result() {
      return withDeadline(result, WAIT_MS, 'the pipe to finish');
    },
    finish: async () => {
      await withDeadline(result, WAIT_MS, 'the pipe to finish');
      assert.deepEqual(listenerCounts(pair.serverWs), wsBefore, 'fuse removed every WebSocket listener it added');
      assert.deepEqual(listenerCounts(upstream), upBefore, 'fuse removed every upstream listener it added');
      assert.equal(pair.serverWs.binaryType, binaryType, 'binaryType is restored');
      if (pair.client.readyState !== WebSocket.CLOSED) await event(pair.client, 'close');
      if (!peer.closed) await event(peer, 'close');
      await pair.close();
      await b.close();
    },
  };
}

/** Resolves on 'close' even after an 'error' (`event` would reject on the error). */
function closeOf(socket: net.Socket): Promise<void> {
  socket.on('error', () => {});
  return withDeadline(new Promise((resolve) => socket.once('close', () => resolve())), WAIT_MS, 'the socket to close');
}

function clientClosed(client: WebSocket): Promise<{ code: number; reason: string }> {
  return (event(client, 'close') as Promise<[number, Buffer]>).then(([code, reason]) => ({ code, reason: reason.toString() }));
}

test('text and binary messages reach the backend as raw bytes; backend bytes come back as binary messages', async () => {
  const r = await rig();
  const { received, until } = receive(r.client);
  r.client.send('hello ');
  r.client.send(Buffer.from('wörld'));
  r.client.send('!');
  assert.equal((await readBytes(r.peer, 13)).toString(), 'hello wörld!');

  r.peer.write('abc');
  await until(3);
  r.peer.write('defg');
  await until(7);
  assert.equal(Buffer.concat(received.chunks).toString(), 'abcdefg');
  assert.equal(received.allBinary, true);
  assert.equal(received.messages, 2, 'one message per chunk read, not coalesced');

  const closed = clientClosed(r.client);
  r.client.close(1000);
  const peerEnded = event(r.peer, 'end');
  const result = await r.result;
  await peerEnded;
  assert.deepEqual(result, {
    bytesDownstreamToUpstream: 13,
    bytesUpstreamToDownstream: 7,
    closedBy: 'downstream',
    reason: 'downstream closed (1000)',
    cause: 'downstream_closed',
    code: 1000,
    forced: false,
  });
  assert.equal((await closed).code, 1000);
  await r.finish();
});

test('a large transfer both ways arrives whole, with exact byte counts, through a small pending limit', async () => {
  const r = await rig({ pipe: { maximumPendingBytes: 16 * 1024 } });
  r.peer.pipe(r.peer); // echo
  const total = 4 * 1024 * 1024;
  const data = randomBytes(total);
  const { received, until } = receive(r.client, false);
  // Whole messages of assorted sizes, and fragmented ones (fin: false) that reach fuse as several buffers.
  let offset = 0;
  let i = 0;
  while (offset < total) {
    const size = Math.min(total - offset, [1, 1000, 65_536, 300_000][i % 4] as number);
    const slice = data.subarray(offset, offset + size);
    if (i % 5 === 4 && size > 2) {
      const half = Math.floor(size / 2);
      r.client.send(slice.subarray(0, half), { fin: false });
      r.client.send(slice.subarray(half), { fin: true });
    } else {
      r.client.send(slice);
    }
    offset += size;
    i++;
  }
  await until(total);
  assert.equal(received.bytes, total);
  assert.equal(received.hash.digest('hex'), sha256(data));
  r.client.close(1000);
  const result = await r.result;
  assert.equal(result.bytesDownstreamToUpstream, total);
  assert.equal(result.bytesUpstreamToDownstream, total);
  assert.equal(result.closedBy, 'downstream');
  assert.equal(result.code, 1000);
  await r.finish();
});

test('a client that does not read keeps the gateway’s memory near maximumPendingBytes while the backend floods', async () => {
  const max = 64 * 1024;
  const flood = 48 * 1024 * 1024;
  const data = randomBytes(flood);
  const r = await rig({
    pipe: { maximumPendingBytes: max },
    beforeFuse: (pair) => {
      pair.client.pause(); // its socket stops reading: TCP backpressure reaches the gateway
    },
  });
  // What the gateway holds for this direction: queued for the client, and read from the backend but not sent.
  const held = (): number => r.serverWs.bufferedAmount + r.upstream.readableLength;
  let maxHeld = 0;
  const sample = (): void => {
    maxHeld = Math.max(maxHeld, held());
  };
  r.upstream.on('data', sample); // after fuse's own listener: sees the state each chunk leaves behind
  const paused = event(r.upstream, 'pause');
  // Should the gateway never push back, the backend's socket would flush the whole flood: 'finish' then ends the
  // wait, and the assertions below report how much the gateway swallowed.
  const absorbed = event(r.peer, 'finish');
  r.peer.end(data); // the backend hands the whole flood to its socket at once
  await Promise.race([paused, absorbed]);
  sample();
  assert.ok(maxHeld <= max + 64 * 1024 + r.upstream.readableHighWaterMark, `the gateway held ${maxHeld} bytes when it paused`);
  const backendStillHolds = r.peer.writableLength;
  assert.ok(
    backendStillHolds > flood / 4,
    `the flood must outrun the kernel buffers for this test to mean anything (backend holds ${backendStillHolds})`,
  );

  const { received, until } = receive(r.client, false);
  r.client.resume();
  await until(flood);
  assert.equal(received.hash.digest('hex'), sha256(data));
  const result = await r.result;
  r.upstream.removeListener('data', sample);
  assert.equal(result.bytesUpstreamToDownstream, flood);
  assert.equal(result.closedBy, 'upstream');
  // The limit, plus what is already in flight when the check runs: one read from the backend (at most 64 KiB)
  // and the socket's readable buffer.
  const bound = max + 64 * 1024 + r.upstream.readableHighWaterMark;
  assert.ok(maxHeld <= bound, `the gateway held ${maxHeld} bytes for a ${flood}-byte flood (bound ${bound})`);
  await r.finish();
});

test('a backend that does not read keeps the gateway’s memory near maximumPendingBytes while the client floods', async () => {
  const max = 64 * 1024;
  const message = 64 * 1024;
  const flood = 32 * 1024 * 1024;
  const data = randomBytes(flood);
  const r = await rig({
    pipe: { maximumPendingBytes: max },
    beforeFuse: (_pair, _upstream, peer) => {
      peer.pause();
    },
  });
  const held = (): number => r.upstream.writableLength + r.serverSocket.readableLength;
  let maxHeld = 0;
  const sample = (): void => {
    maxHeld = Math.max(maxHeld, held());
  };
  r.serverWs.on('message', sample);
  // Should the gateway never push back, the client's last send completes: that ends the wait instead.
  let lastSent!: () => void;
  const absorbed = new Promise<void>((resolve) => {
    lastSent = resolve;
  });
  for (let offset = 0; offset < flood; offset += message) {
    const last = offset + message >= flood;
    r.client.send(data.subarray(offset, offset + message), last ? () => lastSent() : undefined);
  }
  const paused = (async () => {
    while (!r.serverWs.isPaused) await event(r.serverSocket, 'pause');
  })();
  await Promise.race([paused, absorbed]);
  sample();
  assert.ok(maxHeld <= max + message + 64 * 1024 + r.serverSocket.readableHighWaterMark, `the gateway held ${maxHeld} bytes when it paused`);
  assert.ok(r.client.bufferedAmount > flood / 4, `the flood must outrun the kernel buffers (client holds ${r.client.bufferedAmount})`);

  const got = readBytes(r.peer, flood);
  r.peer.resume();
  assert.equal(sha256(await got), sha256(data));
  r.client.close(1000);
  const result = await r.result;
  r.serverWs.removeListener('message', sample);
  assert.equal(result.bytesDownstreamToUpstream, flood);
  // The limit, plus one message that arrives after the pause, plus the chunk the socket had already read.
  const bound = max + message + 64 * 1024 + r.serverSocket.readableHighWaterMark;
  assert.ok(maxHeld <= bound, `the gateway held ${maxHeld} bytes for a ${flood}-byte flood (bound ${bound})`);
  await r.finish();
});

test('upstream FIN: everything queued reaches the client, then the WebSocket closes with 1000', async () => {
  const r = await rig();
  const data = randomBytes(1024 * 1024);
  const { received, until } = receive(r.client, false);
  const closed = clientClosed(r.client);
  r.peer.end(data);
  await until(data.length);
  assert.equal(received.hash.digest('hex'), sha256(data));
  assert.equal((await closed).code, 1000);
  const result = await r.result;
  assert.deepEqual(result, {
    bytesDownstreamToUpstream: 0,
    bytesUpstreamToDownstream: data.length,
    closedBy: 'upstream',
    reason: 'upstream closed',
    cause: 'upstream_closed',
    code: 1000,
    forced: false,
  });
  await r.finish();
});

test('downstream close frame: the queued bytes reach the backend, then a FIN', async () => {
  const r = await rig();
  const got = readBytes(r.peer, 10);
  r.client.send('last words');
  r.client.close(4000, 'bye');
  assert.equal((await got).toString(), 'last words');
  await event(r.peer, 'end');
  const result = await r.result;
  assert.equal(result.closedBy, 'downstream');
  assert.equal(result.reason, 'downstream closed (4000)');
  assert.equal(result.code, 4000);
  assert.equal(result.bytesDownstreamToUpstream, 10);
  await r.finish();
});

test('downstream lost without a close frame: the upstream is reset', async () => {
  const r = await rig();
  const peerReset = event<[NodeJS.ErrnoException]>(r.peer, 'error');
  r.peer.resume();
  r.client.terminate();
  const result = await r.result;
  assert.equal((await peerReset)[0].code, 'ECONNRESET');
  assert.equal(result.closedBy, 'downstream');
  assert.equal(result.reason, 'downstream lost (1006)');
  assert.equal(result.cause, 'downstream_lost');
  assert.equal(result.code, 1006);
  assert.equal(r.upstream.destroyed, true);
  await r.finish();
});

test('upstream reset: the client gets 1011 with a short reason, and the result carries the error', async () => {
  const r = await rig();
  const closed = clientClosed(r.client);
  r.peer.resetAndDestroy();
  const { code, reason } = await closed;
  assert.equal(code, 1011);
  assert.equal(reason, 'upstream error: ECONNRESET');
  const result = await r.result;
  assert.equal(result.closedBy, 'error');
  assert.equal(result.reason, 'upstream error: ECONNRESET');
  assert.equal(result.cause, 'upstream_error');
  assert.equal(result.code, 1011);
  assert.equal((result.error as NodeJS.ErrnoException).code, 'ECONNRESET');
  await r.finish();
});

test('a message over ws maxPayload ends the pipe with 1009 and destroys the upstream', async () => {
  const r = await rig({ server: { maxPayload: 1024 } });
  const closed = clientClosed(r.client);
  r.peer.resume();
  r.client.send(Buffer.alloc(2048));
  // ws sends the code alone; the client is told why as well.
  assert.deepEqual(await closed, { code: 1009, reason: 'message too big' });
  const result = await r.result;
  assert.equal(result.closedBy, 'error');
  assert.equal(result.reason, 'message too big (1009)');
  assert.equal(result.cause, 'downstream_error');
  assert.equal(result.code, 1009);
  assert.equal(result.bytesDownstreamToUpstream, 0);
  await r.finish();
});

test('invalid UTF-8 in a text message ends the pipe with 1007, and the client is told why', async () => {
  const r = await rig();
  const closed = clientClosed(r.client);
  r.peer.resume();
  r.client.send(Buffer.from([0x68, 0xff, 0x69]), { binary: false });
  assert.deepEqual(await closed, { code: 1007, reason: 'invalid UTF-8 in a text message or close reason' });
  const result = await r.result;
  assert.equal(result.reason, 'invalid UTF-8 (1007)');
  assert.equal(result.cause, 'downstream_error');
  await r.finish();
});

test('initial data (deferred connect) reaches the backend before later messages and is counted', async () => {
  const r = await rig({ pipe: { initial: [Buffer.from('GET'), Buffer.from(' /')] } });
  const got = readBytes(r.peer, 10);
  r.client.send(' HTTP');
  assert.equal((await got).toString(), 'GET / HTTP');
  r.client.close(1000);
  const result = await r.result;
  assert.equal(result.bytesDownstreamToUpstream, 10);
  await r.finish();
});

test('a client that never completes the close handshake is terminated after closeTimeoutMs', async () => {
  const r = await rig({
    pipe: { closeTimeoutMs: 20 },
    beforeFuse: (pair) => {
      pair.client.pause(); // it will never read the close frame, so it never answers it
    },
  });
  r.peer.end();
  const result = await r.result;
  assert.equal(result.closedBy, 'upstream');
  assert.equal(result.code, 1000);
  assert.equal(result.forced, true);
  r.client.resume();
  await r.finish();
});

test('a backend that never sends its FIN after ours is destroyed after closeTimeoutMs', async () => {
  const r = await rig({ pipe: { closeTimeoutMs: 20 }, backend: { allowHalfOpen: true } });
  const peerEnded = event(r.peer, 'end'); // the backend gets our FIN and keeps its side open
  r.peer.resume();
  r.client.close(1000);
  await peerEnded;
  const result = await r.result;
  assert.equal(result.closedBy, 'downstream');
  assert.equal(result.code, 1000);
  assert.equal(result.forced, true);
  assert.equal(r.upstream.destroyed, true);
  r.peer.end(); // a half-open backend socket stays open until its owner ends it
  await r.finish();
});

test('an upstream that failed before fuse() was called closes the client with 1011', async () => {
  const r = await rig({
    beforeFuse: async (_pair, upstream) => {
      const closed = closeOf(upstream);
      upstream.destroy(new Error('connection lost while the client was waiting'));
      await closed;
    },
  });
  const result = await r.result;
  assert.equal(result.closedBy, 'error');
  assert.equal(result.code, 1011);
  assert.equal(result.reason, 'upstream error: connection lost while the client was waiting');
  await r.finish();
});

test('a client that left before fuse() was called still gets its initial bytes to the backend, then a FIN', async () => {
  const r = await rig({
    pipe: { initial: [Buffer.from('early')] },
    beforeFuse: async (pair) => {
      const gone = event(pair.serverWs, 'close');
      pair.client.close(1000);
      await gone;
    },
  });
  assert.equal((await readBytes(r.peer, 5)).toString(), 'early');
  await event(r.peer, 'end');
  const result = await r.result;
  assert.equal(result.closedBy, 'downstream');
  assert.equal(result.reason, 'downstream closed (1000)');
  assert.equal(result.bytesDownstreamToUpstream, 5);
  await r.finish();
});

test('inactivityTimeoutMs closes a silent client with 1001 and resets the upstream, which must not take it for a clean end', async () => {
  const r = await rig({ pipe: { inactivityTimeoutMs: 40 }, client: { autoPong: false } });
  const closed = clientClosed(r.client);
  const peerReset = event<[NodeJS.ErrnoException]>(r.peer, 'error');
  r.peer.resume();
  await event(r.client, 'ping');
  const { code, reason } = await closed;
  assert.equal(code, 1001);
  assert.equal(reason, 'inactivity timeout');
  assert.equal((await peerReset)[0].code, 'ECONNRESET');
  const result = await r.result;
  assert.equal(result.closedBy, 'error');
  assert.equal(result.reason, 'inactivity timeout');
  assert.equal(result.cause, 'inactivity');
  assert.equal(result.code, 1001);
  await r.finish();
});

test('a reason longer than a close frame allows is cut to 123 bytes', async () => {
  const long = 'x'.repeat(200);
  const r = await rig({
    beforeFuse: async (_pair, upstream) => {
      const closed = closeOf(upstream);
      upstream.destroy(new Error(long));
      await closed;
    },
  });
  const closed = clientClosed(r.client);
  const result = await r.result;
  assert.equal(result.reason, `upstream error: ${long}`, 'the result keeps the whole reason');
  assert.equal(Buffer.byteLength((await closed).reason), 123);
  await r.finish();
});

test('a TLS upstream (tls.TLSSocket) pipes and closes like a plain one', async () => {
  const pki = testPki();
  const server = tls.createServer({ key: pki.server.key, cert: pki.server.cert }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const pair = await wsPair();
  const upstream = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.cert });
  await event(upstream, 'secureConnect');
  const result = fuse(new WebSocketEnd(pair.serverWs), new StreamEnd(upstream), { maximumPendingBytes: 16 * 1024 });
  const data = randomBytes(512 * 1024);
  const { received, until } = receive(pair.client, false);
  pair.client.send(data);
  await until(data.length);
  assert.equal(received.hash.digest('hex'), sha256(data));
  pair.client.close(1000);
  const r = await result;
  assert.equal(r.closedBy, 'downstream');
  assert.equal(r.bytesDownstreamToUpstream, data.length);
  assert.equal(r.bytesUpstreamToDownstream, data.length);
  assert.equal(r.forced, false);
  await pair.close();
  server.close();
  await event(server, 'close');
});

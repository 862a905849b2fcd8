import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { PreparedConnections, type IdleEnding, type PreparedOptions } from '../../../src/upstream/prepared.js';
import type { Cancellation } from '../../../src/upstream/cancellation.js';
import { createWebSocketConnector, type UpstreamWebSocket } from '../../../src/upstream/ws-connector.js';
import { GatewayError } from '../../../src/errors.js';
import { within } from '../../helpers/within.js';
import { FakeTimers } from '../../helpers/fake-timers.js';


class FakeConnection extends EventEmitter {
  /** Closed by the pool's close adapter. */
  closedByPool = false;
  constructor(readonly id: number) {
    super();
  }
  /** The connection ends while idle, as its adapter would report it. */
  close(ending?: IdleEnding): void {
    this.emit('close', ending);
  }
}

interface Attempt {
  readonly cancellation: Cancellation;
  readonly succeed: () => FakeConnection;
  readonly fail: (message?: string) => void;
}

/**
 * A factory whose attempts stay pending until the test settles them, in the order they were made, or until the
 * pool cancels them: then they fail at once, as the real connectors do.
 */
class FakeBackend {
  readonly attempts: Attempt[] = [];
  #settled = 0;
  #ids = 0;
  readonly open = (cancellation: Cancellation): Promise<FakeConnection> =>
    new Promise<FakeConnection>((resolve, reject) => {
      cancellation.onCancel(reject);
      this.attempts.push({
        cancellation,
        succeed: () => {
          const c = new FakeConnection(++this.#ids);
          resolve(c);
          return c;
        },
        fail: (message = 'ECONNREFUSED') => reject(new GatewayError('GW_ERR_UPSTREAM_CONNECT', `Connection to ws://app:8080/x failed: ${message}`)),
      });
    });
  /** Attempts made and not yet settled by the test. */
  get unsettled(): number {
    return this.attempts.length - this.#settled;
  }
  /** Settles the oldest unsettled attempt; resolves after the pool has seen the outcome. */
  async succeedNext(): Promise<FakeConnection> {
    const c = this.succeedNow();
    await settle();
    return c;
  }
  /** Settles the oldest unsettled attempt; the pool sees it once promise callbacks run. */
  succeedNow(): FakeConnection {
    const attempt = this.attempts[this.#settled++];
    assert.ok(attempt, 'no attempt is pending');
    return attempt.succeed();
  }
  async failNext(message?: string): Promise<void> {
    const attempt = this.attempts[this.#settled++];
    assert.ok(attempt, 'no attempt is pending');
    attempt.fail(message);
    await settle();
  }
}

/** Lets promise callbacks run (the pool learns outcomes through promises; nothing here waits for I/O). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function pool(
  backend: FakeBackend,
  extra: Partial<PreparedOptions<FakeConnection>> = {},
): { pool: PreparedConnections<FakeConnection>; timers: FakeTimers; clock: { now: number }; events: string[] } {
  const timers = new FakeTimers();
  const clock = { now: 0 };
  const p = new PreparedConnections<FakeConnection>({
    count: 2,
    open: backend.open,
    onClose: (c, onClosed) => {
      c.on('close', onClosed);
      return () => c.off('close', onClosed);
    },
    close: (c) => {
      c.closedByPool = true;
      return Promise.resolve();
    },
    name: 'ws://app:8080/x',
    setTimer: timers.setTimer,
    now: () => clock.now,
    ...extra,
  });
  const events: string[] = [];
  p.on('down', (e: unknown) => events.push(`down: ${(e as Error).message}`));
  p.on('retry', (e: unknown, ms: number) => events.push(`retry ${ms}: ${(e as Error).message}`));
  p.on('up', () => events.push('up'));
  return { pool: p, timers, clock, events };
}

test('keeps count connections ready; take() hands out the oldest and opens its replacement at once', async () => {
  const backend = new FakeBackend();
  const { pool: p, events } = pool(backend);
  assert.equal(backend.attempts.length, 0, 'nothing opens before start()');
  p.start();
  p.start();
  assert.equal(backend.attempts.length, 2);
  assert.equal(p.take(), undefined, 'take() does not wait for a connection');
  const first = await backend.succeedNext();
  const second = await backend.succeedNext();
  assert.equal(p.ready, 2);
  assert.equal(backend.attempts.length, 2, 'no more than count');

  const taken = p.take();
  assert.equal(taken, first);
  assert.equal(first.listenerCount('close'), 0, 'the pool stops watching what it handed out');
  assert.equal(p.ready, 1);
  assert.equal(backend.attempts.length, 3, 'the replacement is opening');
  first.close();
  assert.equal(backend.attempts.length, 3, 'a taken connection closing is not the pool’s business');

  assert.equal(p.take(), second);
  assert.equal(p.take(), undefined);
  assert.equal(backend.attempts.length, 4);
  await backend.succeedNext();
  await backend.succeedNext();
  assert.equal(p.ready, 2);
  assert.deepEqual(events, []);
  p.stop();
});

test('a ready connection that closes while idle is dropped and replaced', async () => {
  const backend = new FakeBackend();
  const { pool: p, clock, events } = pool(backend, { count: 1 });
  p.start();
  const c = await backend.succeedNext();
  clock.now += 60_000;
  c.close();
  assert.equal(p.ready, 0);
  assert.equal(backend.attempts.length, 2);
  const replacement = await backend.succeedNext();
  assert.equal(p.take(), replacement);
  assert.deepEqual(events, []);
  p.stop();
});

test('failed opens go down and retry after 1, 2, 4 … s up to 30 s; once one succeeds the pool fills again', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers, events } = pool(backend, { count: 3 });
  p.start();
  await backend.failNext();
  assert.equal(p.up, false);
  await backend.failNext();
  await backend.failNext();
  assert.deepEqual(events, ['down: Connection to ws://app:8080/x failed: ECONNREFUSED'], 'one down, however many fail');
  assert.equal(backend.attempts.length, 3, 'nothing opens while down but the retry');

  for (let i = 0; i < 7; i++) {
    timers.fire();
    assert.equal(backend.unsettled, 1, 'a retry is one connection');
    await backend.failNext(`attempt ${i + 1}`);
  }
  assert.deepEqual(timers.delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  assert.equal(events[1], 'retry 2000: Connection to ws://app:8080/x failed: attempt 1');

  timers.fire();
  const retried = await backend.succeedNext();
  assert.equal(p.up, true);
  assert.equal(events.at(-1), 'up');
  assert.equal(timers.armed, false);
  assert.equal(p.ready, 1);
  assert.equal(backend.unsettled, 2, 'filling up to count again');
  await backend.succeedNext();
  await backend.succeedNext();
  assert.equal(p.take(), retried, 'the retry’s connection is a ready one');
  p.stop();
});

test('a connection that closes right after opening counts as a failed open, so reconnects back off', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers, clock, events } = pool(backend, { count: 1, minLifetimeMs: 1000 });
  p.start();
  const c = await backend.succeedNext();
  clock.now += 5;
  c.close();
  assert.deepEqual(events, ['down: ws://app:8080/x closed a prepared connection 5 ms after it opened']);
  assert.equal(backend.unsettled, 0, 'no immediate reconnect');
  timers.fire();
  await backend.succeedNext();
  assert.deepEqual(events.slice(1), ['up']);
  p.stop();
});

test('what the pool reports names who ended an idle connection: the backend, a failure, or the gateway', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers, clock, events } = pool(backend, { count: 1, minLifetimeMs: 1000 });
  const dropped: string[] = [];
  p.on('dropped', (e: GatewayError) => dropped.push(`${e.code}: ${e.message}`));
  p.start();
  let c = await backend.succeedNext();
  clock.now += 5;
  c.close({ how: 'dropped', reason: 'it sent too much' });
  assert.deepEqual(events, ['down: the gateway closed a prepared connection to ws://app:8080/x 5 ms after it opened: it sent too much']);
  timers.fire();
  c = await backend.succeedNext();
  clock.now += 3;
  c.close({ how: 'failed', reason: 'error: ECONNRESET' });
  timers.fire();
  c = await backend.succeedNext();
  clock.now += 7;
  c.close({ how: 'closed', reason: '1001 going away' });
  assert.deepEqual(events.slice(1), [
    'up',
    'down: a prepared connection to ws://app:8080/x failed 3 ms after it opened: error: ECONNRESET',
    'up',
    'down: ws://app:8080/x closed a prepared connection 7 ms after it opened (1001 going away)',
  ]);
  // One the gateway closes after it lived is replaced at once, and said so; the pool stays up.
  timers.fire();
  c = await backend.succeedNext();
  clock.now += 60_000;
  c.close({ how: 'dropped', reason: 'it sent too much' });
  assert.deepEqual(dropped, ['GW_ERR_UPSTREAM_PREPARED: the gateway closed a prepared connection to ws://app:8080/x 60000 ms after it opened: it sent too much']);
  assert.equal(p.up, true);
  assert.equal(backend.unsettled, 1, 'replaced at once');
  // One that fails or is closed after it lived (a backend that hung, found by the keep-alive) is replaced, and said so.
  const ended: string[] = [];
  p.on('ended', (e: GatewayError, failed: boolean) => ended.push(`${failed ? 'failed' : 'closed'}: ${e.message}`));
  c = await backend.succeedNext();
  clock.now += 30_000;
  c.close({ how: 'failed', reason: 'inactivity timeout' });
  assert.deepEqual(ended, ['failed: a prepared connection to ws://app:8080/x failed 30000 ms after it opened: inactivity timeout']);
  c = await backend.succeedNext();
  clock.now += 30_000;
  c.close({ how: 'closed', reason: '1001 idle' });
  assert.equal(ended[1], 'closed: ws://app:8080/x closed a prepared connection 30000 ms after it opened (1001 idle)');
  assert.equal(backend.unsettled, 1, 'replaced at once');
  await p.stop();
});

test('stop() settles only once the idle connections have closed', async () => {
  const backend = new FakeBackend();
  let finishClosing: () => void = () => undefined;
  const { pool: p } = pool(backend, {
    count: 1,
    close: () =>
      new Promise<void>((resolve) => {
        finishClosing = resolve;
      }),
  });
  p.start();
  await backend.succeedNext();
  let settled = false;
  const stopped = p.stop().then(() => {
    settled = true;
  });
  await settle();
  assert.equal(settled, false, 'still closing');
  finishClosing();
  await within(stopped, 'the stop');
  assert.equal(settled, true);
});

for (const how of ['filling the pool', 'a retry while down'] as const) {
  test(`stop() settles only once a connection whose open completed just before it has been closed: ${how}`, async () => {
    const backend = new FakeBackend();
    let finishClosing: () => void = () => undefined;
    const { pool: p, timers } = pool(backend, {
      count: 1,
      close: (c) => {
        c.closedByPool = true;
        return new Promise<void>((resolve) => {
          finishClosing = resolve;
        });
      },
    });
    p.start();
    if (how === 'a retry while down') {
      await backend.failNext();
      timers.fire();
      assert.equal(backend.unsettled, 1, 'the retry is under way');
    }
    const late = backend.succeedNow();
    let settled = false;
    const stopped = p.stop().then(() => {
      settled = true;
    });
    await settle();
    assert.equal(late.closedByPool, true, 'closed, since the pool has stopped');
    assert.equal(settled, false, 'still closing the connection that came late');
    finishClosing();
    await within(stopped, 'the stop');
  });
}

test('a backend that accepts and hangs up every time is reconnected to after 1, 2, 4 … s, not every second', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers, clock, events } = pool(backend, { count: 1, minLifetimeMs: 1000 });
  p.start();
  let c = await backend.succeedNext();
  for (let i = 0; i < 4; i++) {
    clock.now += 5;
    c.close();
    assert.equal(backend.unsettled, 0, 'no immediate reconnect');
    timers.fire();
    clock.now += timers.delays.at(-1) ?? 0;
    c = await backend.succeedNext();
  }
  assert.deepEqual(timers.delays, [1000, 2000, 4000, 8000]);
  assert.equal(events.filter((e) => e === 'up').length, 4);
  // After one that lasted (replaced at once when it closes), the next failure starts the backoff again from 1 s.
  clock.now += 60_000;
  c.close();
  c = await backend.succeedNext();
  clock.now += 5;
  c.close();
  timers.fire();
  await backend.succeedNext();
  assert.equal(timers.delays.at(-1), 1000);
  p.stop();
});

test('an adapter may report a connection that closed already, at once', async () => {
  const backend = new FakeBackend();
  const { pool: p, clock } = pool(backend, {
    count: 1,
    onClose: (_c, onClosed) => {
      clock.now += 2000;
      onClosed();
      return () => {};
    },
  });
  p.start();
  await backend.succeedNext();
  assert.equal(p.ready, 0, 'not kept as ready');
  assert.equal(backend.attempts.length, 2, 'replaced');
  p.stop();
});

test('stop() closes idle connections, aborts opens, closes late arrivals, stops retrying; safe twice', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers } = pool(backend, { count: 3 });
  p.start();
  const handedOut = await backend.succeedNext();
  const waiting = await backend.succeedNext();
  assert.equal(p.take(), handedOut);
  assert.equal(backend.unsettled, 2);
  // One open completes in the very turn stop() comes, too late to be cancelled; the other is cancelled.
  const late = backend.succeedNow();
  const stopped = p.stop();
  assert.equal(p.stop(), stopped, 'a second call gets the same promise');
  assert.equal(handedOut.closedByPool, false, 'a taken connection is the caller’s');
  assert.equal(waiting.closedByPool, true);
  assert.equal(waiting.listenerCount('close'), 0);
  assert.ok(backend.attempts.every((a) => a.cancellation.cancelled), 'opens in flight are cancelled');
  await within(stopped, 'the stop');
  assert.equal(late.closedByPool, true, 'a connection opened after stop() is closed');
  assert.equal(timers.armed, false, 'a failure after stop() schedules nothing');
  assert.equal(p.take(), undefined);
});

test('stop() while down cancels the retry', async () => {
  const backend = new FakeBackend();
  const { pool: p, timers } = pool(backend, { count: 1 });
  p.start();
  await backend.failNext();
  assert.equal(timers.armed, true);
  p.stop();
  assert.equal(timers.armed, false);
});

test('a count below 1 is refused', () => {
  const backend = new FakeBackend();
  assert.throws(
    () => pool(backend, { count: 0 }),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INTERNAL',
  );
});

test('with real WebSockets: ready ones are open, taken ones are replaced, stop() closes the idle ones', async () => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const serverSide: WebSocket[] = [];
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    serverSide.push(ws);
  });
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'the backend to listen');
  const port = (server.address() as net.AddressInfo).port;
  const connect = createWebSocketConnector();
  const target = { uri: `ws://127.0.0.1:${port}/`, scheme: 'ws' as const, host: '127.0.0.1', port, path: '/' };
  const p = new PreparedConnections<UpstreamWebSocket>({
    count: 2,
    open: (cancellation) => connect(target, { headers: [], subprotocols: [], maxPayload: 1024 }, cancellation),
    onClose: ({ websocket }, onClosed) => {
      if (websocket.readyState === WebSocket.CLOSED) {
        onClosed();
        return () => {};
      }
      websocket.on('close', onClosed);
      return () => websocket.off('close', onClosed);
    },
    close: ({ websocket }) =>
      new Promise<void>((resolve) => {
        websocket.once('close', () => resolve());
        // The connector hands it over paused; the backend's answer to the close must be read.
        websocket.resume();
        websocket.close(1001, 'gateway shutting down');
      }),
    name: target.uri,
  });
  /** Polled on each turn of the event loop: the pool reports no event when it has filled. */
  const until = (what: string, holds: () => boolean): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (holds()) resolve();
          else setImmediate(check);
        };
        check();
      }),
      what,
    );
  p.start();
  await until('2 ready connections', () => serverSide.length === 2 && p.ready === 2);
  const taken = p.take();
  assert.ok(taken);
  assert.equal(taken.websocket.readyState, WebSocket.OPEN);
  await until('a replacement', () => serverSide.length === 3 && p.ready === 2);

  const codes: number[] = [];
  for (const ws of serverSide) ws.once('close', (code: number) => codes.push(code));
  await within(p.stop(), 'the stop to close the idle ones');
  await until('the 2 idle ones to close at the backend', () => codes.length === 2);
  assert.deepEqual(codes, [1001, 1001]);
  const received = Promise.race(serverSide.map((ws) => once(ws, 'message') as Promise<[Buffer]>));
  taken.websocket.send('still here');
  const [message] = await within(received, 'the taken connection to carry a message');
  assert.equal(message.toString(), 'still here');
  taken.websocket.terminate();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.closeAllConnections();
  const closed = once(server, 'close');
  server.close();
  await within(closed, 'the backend to close');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { HostResolver, type HostAddresses } from '../../../src/upstream/resolver.js';

interface Asked {
  readonly hostname: string;
  readonly options: LookupOptions;
  answer(err: NodeJS.ErrnoException | null, addresses?: LookupAddress[]): void;
}

/** A lookup the test answers by hand, and a clock it moves. */
function fakes() {
  const asked: Asked[] = [];
  let now = 1_000_000;
  const resolver = new HostResolver({
    lookup: (hostname, options, callback) => asked.push({ hostname, options, answer: (err, addresses = []) => callback(err, addresses) }),
    now: () => now,
  });
  return { resolver, asked, advance: (ms: number) => (now += ms) };
}

const V4: LookupAddress[] = [{ address: '10.0.0.7', family: 4 }];
const BOTH: LookupAddress[] = [
  { address: '10.0.0.7', family: 4 },
  { address: 'fd00::7', family: 6 },
];

/** What net.connect does with a target's lookup: one address, or (auto-selecting the family) all of them. */
function single(addresses: HostAddresses, hostname: string, options: LookupOptions = {}): Promise<[string, number | undefined]> {
  return new Promise((resolve, reject) =>
    addresses.lookup(hostname, options, (err, address, family) => (err ? reject(err) : resolve([address as string, family]))),
  );
}

function all(addresses: HostAddresses, hostname: string, options: LookupOptions = {}): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => addresses.lookup(hostname, { ...options, all: true }, (err, list) => (err ? reject(err) : resolve(list as LookupAddress[]))));
}

test('a name is looked up once and its answer reused until the TTL has passed', async () => {
  const { resolver, asked, advance } = fakes();
  const backend = resolver.forHost('backend.internal', 30_000);
  assert.ok(backend);
  const first = single(backend, 'backend.internal');
  assert.equal(asked.length, 1);
  // The whole answer is asked for, whatever the caller wanted, so that either kind of caller can be answered later.
  assert.equal(asked[0]?.options.all, true);
  asked[0]?.answer(null, BOTH);
  assert.deepEqual(await first, ['10.0.0.7', 4]);
  advance(29_999);
  assert.deepEqual(await single(backend, 'backend.internal'), ['10.0.0.7', 4]);
  assert.deepEqual(await all(backend, 'backend.internal'), BOTH);
  assert.equal(asked.length, 1, 'answered from what was kept');
  advance(1);
  const again = all(backend, 'backend.internal');
  assert.equal(asked.length, 2, 'looked up again once the TTL passed');
  asked[1]?.answer(null, V4);
  assert.deepEqual(await again, V4);
  assert.equal(resolver.size, 1);
});

test('a kept answer is handed back asynchronously, as dns.lookup does', async () => {
  const { resolver, asked } = fakes();
  const backend = resolver.forHost('backend.internal', 30_000) as HostAddresses;
  const first = single(backend, 'backend.internal');
  asked[0]?.answer(null, V4);
  await first;
  let answered = false;
  const second = new Promise<void>((resolve) =>
    backend.lookup('backend.internal', {}, () => {
      answered = true;
      resolve();
    }),
  );
  assert.equal(answered, false);
  await second;
});

test('clients connecting during a lookup share it; a failed lookup is given to all and not kept', async () => {
  const { resolver, asked } = fakes();
  const backend = resolver.forHost('backend.internal', 30_000) as HostAddresses;
  const waiting = [single(backend, 'backend.internal'), all(backend, 'backend.internal'), single(backend, 'backend.internal')];
  assert.equal(asked.length, 1);
  asked[0]?.answer(Object.assign(new Error('getaddrinfo ENOTFOUND backend.internal'), { code: 'ENOTFOUND' }));
  for (const w of waiting) await assert.rejects(w, { code: 'ENOTFOUND' });
  assert.equal(resolver.size, 0);
  const retried = single(backend, 'backend.internal');
  assert.equal(asked.length, 2, 'the next connect looks the name up again');
  asked[1]?.answer(null, V4);
  assert.deepEqual(await retried, ['10.0.0.7', 4]);
});

test('an empty answer is a failure, not an address', async () => {
  const { resolver, asked } = fakes();
  const backend = resolver.forHost('backend.internal', 30_000) as HostAddresses;
  const waiting = single(backend, 'backend.internal');
  asked[0]?.answer(null, []);
  await assert.rejects(waiting, { code: 'ENOTFOUND', message: /backend\.internal/ });
  assert.equal(resolver.size, 0);
});

test('forget() drops the name, so the next connect looks it up again', async () => {
  const { resolver, asked } = fakes();
  const backend = resolver.forHost('backend.internal', 30_000) as HostAddresses;
  const other = resolver.forHost('other.internal', 30_000) as HostAddresses;
  const a = single(backend, 'backend.internal');
  const b = single(other, 'other.internal');
  asked[0]?.answer(null, V4);
  asked[1]?.answer(null, V4);
  await Promise.all([a, b]);
  backend.forget();
  assert.equal(resolver.size, 1);
  const c = single(backend, 'backend.internal');
  await single(other, 'other.internal');
  assert.equal(asked.length, 3);
  assert.equal(asked[2]?.hostname, 'backend.internal');
  asked[2]?.answer(null, V4);
  await c;
});

test('what changes the answer (family, hints) is looked up apart; a shorter TTL sees an older answer as gone', async () => {
  const { resolver, asked, advance } = fakes();
  const long = resolver.forHost('backend.internal', 60_000) as HostAddresses;
  const short = resolver.forHost('backend.internal', 5_000) as HostAddresses;
  const any = single(long, 'backend.internal');
  const v6 = single(long, 'backend.internal', { family: 6 });
  assert.equal(asked.length, 2);
  assert.equal(asked[1]?.options.family, 6);
  asked[0]?.answer(null, V4);
  asked[1]?.answer(null, [{ address: 'fd00::7', family: 6 }]);
  assert.deepEqual(await any, ['10.0.0.7', 4]);
  assert.deepEqual(await v6, ['fd00::7', 6]);
  advance(10_000);
  await single(long, 'backend.internal');
  assert.equal(asked.length, 2, 'within the 60 s TTL');
  const fresh = single(short, 'backend.internal');
  assert.equal(asked.length, 3, 'older than the 5 s TTL');
  asked[2]?.answer(null, V4);
  await fresh;
});

test('nothing is kept for an IP address or with a TTL of 0', () => {
  const { resolver } = fakes();
  assert.equal(resolver.forHost('127.0.0.1', 30_000), undefined);
  assert.equal(resolver.forHost('::1', 30_000), undefined);
  assert.equal(resolver.forHost('backend.internal', 0), undefined);
});

test('a lookup that throws fails the connects waiting on it, and the next connect looks the name up again', async () => {
  let calls = 0;
  const resolver = new HostResolver({
    lookup: (_hostname, _options, callback) => {
      if (++calls === 1) throw Object.assign(new TypeError('refused argument'), { code: 'ERR_INVALID_ARG_VALUE' });
      process.nextTick(callback, null, V4);
    },
  });
  const backend = resolver.forHost('backend.internal', 30_000) as HostAddresses;
  const waiting = [single(backend, 'backend.internal'), all(backend, 'backend.internal')];
  for (const w of waiting) await assert.rejects(w, { code: 'ERR_INVALID_ARG_VALUE' });
  assert.deepEqual(await single(backend, 'backend.internal'), ['10.0.0.7', 4]);
  assert.equal(calls, 2);
});

test('kept addresses are handed out in turn, each family among its own places, as a lookup per client spread them', async () => {
  const { resolver, asked } = fakes();
  const backend = resolver.forHost('pool.internal', 30_000) as HostAddresses;
  const answer: LookupAddress[] = [
    { address: 'fd00::1', family: 6 },
    { address: '10.0.0.1', family: 4 },
    { address: 'fd00::2', family: 6 },
    { address: '10.0.0.2', family: 4 },
    { address: '10.0.0.3', family: 4 },
  ];
  const first = all(backend, 'pool.internal');
  asked[0]?.answer(null, answer);
  const lists = [await first, await all(backend, 'pool.internal'), await all(backend, 'pool.internal')];
  assert.deepEqual(
    lists.map((l) => l.map((a) => a.address)),
    [
      ['fd00::1', '10.0.0.1', 'fd00::2', '10.0.0.2', '10.0.0.3'],
      ['fd00::2', '10.0.0.2', 'fd00::1', '10.0.0.3', '10.0.0.1'],
      ['fd00::1', '10.0.0.3', 'fd00::2', '10.0.0.1', '10.0.0.2'],
    ],
  );
  // One address at a time (a connect from a tcp.bind address): the first of each turn.
  assert.deepEqual(await single(backend, 'pool.internal'), ['fd00::2', 6]);
  assert.equal(asked.length, 1);
});

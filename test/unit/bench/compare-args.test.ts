import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseCompareArgs } from '../../../bench/compare-args.js';

test('--against is the only argument needed: churn, 8 s rounds, three of them, 8 clients a side', () => {
  const o = parseCompareArgs(['--against', '../other']);
  assert.equal(o.against, resolve('../other'));
  assert.equal(o.peer, undefined);
  assert.equal(o.scenario, 'churn');
  assert.equal(o.size, 4096);
  assert.equal(o.seconds, 8);
  assert.equal(o.rounds, 3);
  assert.equal(o.clients, 8);
  assert.equal(o.help, false);
});

test('the scenario, length, rounds and clients are taken as given', () => {
  const o = parseCompareArgs(['--against=.', '--scenario', 'resume', '--seconds', '20', '--rounds', '5', '--clients', '16']);
  assert.equal(o.scenario, 'resume');
  assert.deepEqual([o.seconds, o.rounds, o.clients], [20, 5, 16]);
});

test('bulk takes a message size', () => {
  const o = parseCompareArgs(['--against', '.', '--scenario', 'bulk', '--size', '512']);
  assert.equal(o.scenario, 'bulk');
  assert.equal(o.size, 512);
});

test('--peer names one of the benchmark\'s systems with a server of its own, in place of a checkout', () => {
  const o = parseCompareArgs(['--peer', 'tls-relay', '--scenario', 'bulk']);
  assert.equal(o.peer, 'tls-relay');
  assert.equal(o.against, undefined);
  for (const name of ['ws-relay', 'naive', 'nginx-stream', 'websockify']) assert.equal(parseCompareArgs(['--peer', name]).peer, name);
  assert.throws(() => parseCompareArgs(['--peer', 'gateway']), /--peer: "gateway" is not one of tls-relay, ws-relay, naive, nginx-stream, websockify/);
  assert.throws(() => parseCompareArgs(['--peer', 'tcp']), /--peer: "tcp" is not one of/);
  assert.throws(() => parseCompareArgs(['--peer', 'naive', '--against', '.']), /--against and --peer: give one/);
});

test('--system puts another of those systems in the gateway\'s place, beside a --peer', () => {
  const o = parseCompareArgs(['--peer', 'tls-relay', '--system', 'ws-relay', '--scenario', 'resume']);
  assert.deepEqual([o.peer, o.system, o.against], ['tls-relay', 'ws-relay', undefined]);
  assert.equal(parseCompareArgs(['--peer', 'naive']).system, undefined);
  assert.throws(() => parseCompareArgs(['--system', 'ws-relay']), /--system needs --peer/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--system', 'ws-relay']), /--system needs --peer/);
  assert.throws(() => parseCompareArgs(['--peer', 'naive', '--system', 'naive']), /--system and --peer: both name "naive"/);
  assert.throws(() => parseCompareArgs(['--peer', 'naive', '--system', 'gateway']), /--system: "gateway" is not one of tls-relay/);
});

test('what cannot be run is refused, naming the argument', () => {
  assert.throws(() => parseCompareArgs([]), /--against DIR or --peer NAME is required/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--scenario', 'idle']), /--scenario: "idle" is not one of churn, resume, bulk/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--scenario', 'bulk', '--size', '0']), /--size: "0" is not a number/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--rounds', '0']), /--rounds: "0" is not a number from 1 to 100/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--seconds', '1.5']), /--seconds/);
  assert.throws(() => parseCompareArgs(['--against', '.', '--fast']), /--fast/);
  // --help needs nothing else.
  assert.equal(parseCompareArgs(['--help']).help, true);
});

test('--fleet: churn with that many client certificates in turn; not for resume or bulk, not zero', () => {
  assert.equal(parseCompareArgs(['--peer', 'tls-relay']).fleet, 0);
  assert.equal(parseCompareArgs(['--peer', 'tls-relay', '--fleet', '5000']).fleet, 5000);
  assert.throws(() => parseCompareArgs(['--peer', 'tls-relay', '--scenario', 'resume', '--fleet', '10']), /--fleet: only churn/);
  assert.throws(() => parseCompareArgs(['--peer', 'tls-relay', '--scenario', 'bulk', '--fleet', '10']), /--fleet: only churn/);
  assert.throws(() => parseCompareArgs(['--peer', 'tls-relay', '--fleet', '0']), /--fleet: "0" is not a number from 1 to 100000/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs, PROFILES, SCENARIO_GROUPS } from '../../../bench/args.js';

test('no arguments: the full run of every scenario on every system', () => {
  const o = parseBenchArgs([]);
  assert.equal(o.quick, false);
  assert.equal(o.profile, PROFILES.full);
  assert.deepEqual(o.only, [...SCENARIO_GROUPS]);
  assert.deepEqual(o.systems, []);
  assert.deepEqual(o.endpoints, []);
  assert.equal(o.sinkPort, undefined);
  assert.equal(o.workers, 2);
  assert.equal(o.pin, true);
  assert.equal(o.profile.repetitions, 3);
  assert.equal(o.profile.idleConnections, 2000);
});

test('--quick, --only and --systems', () => {
  const o = parseBenchArgs(['--quick', '--only', 'bulk, latency', '--systems=gateway,tcp']);
  assert.equal(o.profile, PROFILES.quick);
  assert.deepEqual(o.only, ['bulk', 'latency']);
  assert.deepEqual(o.systems, ['gateway', 'tcp']);
});

test('unknown scenarios and flags are refused with their name', () => {
  assert.throws(() => parseBenchArgs(['--only', 'bulk,speed']), /--only: unknown scenario "speed"/);
  assert.throws(() => parseBenchArgs(['--fast']), /--fast/);
});

test('--endpoint repeats and --sink-port takes a port number', () => {
  const o = parseBenchArgs(['--endpoint', 'a=wss://h:1/', '--endpoint', 'b=tls://h:2', '--sink-port', '9000']);
  assert.deepEqual(o.endpoints, ['a=wss://h:1/', 'b=tls://h:2']);
  assert.equal(o.sinkPort, 9000);
  assert.throws(() => parseBenchArgs(['--sink-port', '70000']), /--sink-port: "70000" is not a port number/);
});

test('--workers takes a worker count', () => {
  assert.equal(parseBenchArgs(['--workers', '4']).workers, 4);
  assert.throws(() => parseBenchArgs(['--workers', '0']), /--workers: "0" is not a number from 1 to 256/);
});

test('--repetitions changes the profile\'s count and nothing else; --no-pin leaves everything unpinned', () => {
  const o = parseBenchArgs(['--quick', '--repetitions', '5', '--no-pin']);
  assert.equal(o.profile.repetitions, 5);
  assert.equal(o.profile.bulkBytes, PROFILES.quick.bulkBytes);
  assert.equal(o.pin, false);
  assert.equal(parseBenchArgs(['--quick']).profile, PROFILES.quick);
  assert.throws(() => parseBenchArgs(['--repetitions', '1.5']), /--repetitions: "1.5" is not a number from 1 to 100/);
});

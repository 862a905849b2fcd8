import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SEED, parseSoakArgs, PROFILES, SCENARIO_IDS, writesDocs } from '../../../soak/args.js';

test('no arguments: the full run of every scenario, which alone rewrites the docs', () => {
  const o = parseSoakArgs([]);
  assert.equal(o.quick, false);
  assert.equal(o.profile, PROFILES.full);
  assert.deepEqual(o.only, [...SCENARIO_IDS]);
  assert.equal(o.seed, DEFAULT_SEED);
  assert.equal(o.profile.heldConnections, 8000);
  assert.equal(o.profile.churnConnections, 50000);
  assert.equal(writesDocs(o), true);
});

test('--quick and --only write under soak/results instead', () => {
  const quick = parseSoakArgs(['--quick']);
  assert.equal(quick.profile, PROFILES.quick);
  assert.equal(writesDocs(quick), false);
  const some = parseSoakArgs(['--only', 'fuzz, faults']);
  assert.deepEqual(some.only, ['fuzz', 'faults']);
  assert.equal(writesDocs(some), false);
});

test('the quick profile is smaller than the full one in every count', () => {
  const q = PROFILES.quick;
  const f = PROFILES.full;
  assert.ok(q.heldConnections < f.heldConnections);
  assert.ok(q.churnConnections < f.churnConnections);
  assert.ok(q.fuzzRuns < f.fuzzRuns);
  assert.ok(q.faultRepeats < f.faultRepeats);
  assert.ok(q.testsslChecks.length > 0, 'the quick run limits testssl.sh to some checks');
  assert.deepEqual(f.testsslChecks, []);
});

test('bad arguments are refused with their name', () => {
  assert.throws(() => parseSoakArgs(['--only', 'held,speed']), /--only: unknown scenario "speed"/);
  assert.throws(() => parseSoakArgs(['--seed', 'abc']), /--seed: "abc"/);
  assert.throws(() => parseSoakArgs(['--seed', '-1']), /--seed/);
  assert.throws(() => parseSoakArgs(['--seed', String(2 ** 31)]), /--seed/);
  assert.throws(() => parseSoakArgs(['--fast']), /--fast/);
  assert.equal(parseSoakArgs(['--seed', '42']).seed, 42);
});

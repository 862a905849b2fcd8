import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, type SoakRecord } from '../../../soak/report/markdown.js';
import { statusOf, type ScenarioReport } from '../../../soak/report/types.js';

test('a scenario passes only when it judged something and met every goal', () => {
  assert.equal(statusOf({ checks: [{ goal: 'g', measured: 'm', pass: true }] }), 'PASS');
  assert.equal(statusOf({ checks: [{ goal: 'g', measured: 'm', pass: true }, { goal: 'h', measured: 'm', pass: false }] }), 'FAIL');
  assert.equal(statusOf({ checks: [] }), 'FAIL');
  assert.equal(statusOf({ checks: [], skipped: 'not installed' }), 'SKIPPED');
  assert.equal(statusOf({ checks: [{ goal: 'g', measured: 'm', pass: true }] }, 'the gateway did not start'), 'FAIL');
});

const scenario: ScenarioReport = {
  id: 'held',
  title: 'Concurrent mutual-TLS connections held',
  how: 'Clients hold connections.',
  checks: [{ goal: '8000 connections held, 0 failures', measured: '8000 held | 0 failed', pass: true }],
  figures: [
    { metric: 'connections held', value: 8000, unit: 'conn' },
    { metric: 'gateway RSS per connection', value: 67.234, unit: 'KiB' },
    { metric: 'seed', value: '42', unit: '' },
  ],
  status: 'PASS',
  seconds: 61.2,
  notes: ['held: 8000 of 8000 open'],
};

const record: SoakRecord = {
  startedAt: '2026-12-02T12:00:00.000Z',
  mode: 'full',
  minutes: 12.5,
  seed: 42,
  machine: { cpus: 2, cpuModel: 'AMD EPYC', memoryGiB: 23.5, kernel: '6.1', node: 'v20.20.2', openssl: '3.0.19', peers: { 'testssl.sh': '3.0.8' }, loadAverage: 1 },
  commit: { commit: 'abcdef012345', branch: 'main', changes: 0 },
  unknownOptions: ['ws.handshake.timeout'],
  scenarios: [scenario, { ...scenario, id: 'testssl', title: 'testssl.sh', status: 'SKIPPED', checks: [], figures: [], notes: [], skipped: 'testssl.sh is not installed' }],
};

test('the report names the commit, the machine and the run, then a summary and a section per scenario', () => {
  const md = renderReport(record);
  assert.match(md, /^# Reliability: soak results \(full run\)/);
  assert.match(md, /- commit `abcdef012345` \(branch `main`\), working tree clean/);
  assert.match(md, /a full run of 12\.5 minutes; fuzzing seed 42/);
  assert.match(md, /does not know `ws\.handshake\.timeout`/);
  assert.match(md, /- tools: testssl\.sh 3\.0\.8/);
  assert.match(md, /\| 1\. Concurrent mutual-TLS connections held \| PASS \| 1 of 1 \|/);
  assert.match(md, /\| 2\. testssl\.sh \| SKIPPED \| 0 of 0 \|/);
  assert.match(md, /## 1\. Concurrent mutual-TLS connections held: PASS/);
  assert.match(md, /\| 8000 connections held, 0 failures \| 8000 held \\\| 0 failed \| PASS \|/);
  assert.match(md, /\| connections held \| 8000 \| conn \|/);
  assert.match(md, /\| gateway RSS per connection \| 67\.2 \| KiB \|/);
  assert.match(md, /Skipped: testssl\.sh is not installed\./);
  assert.match(md, /- held: 8000 of 8000 open/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGoals } from '../../../../bench/report/goals.js';
import { renderPerformance } from '../../../../bench/report/performance.js';
import type { Row } from '../../../../bench/report/types.js';
import type { RunRecord } from '../../../../bench/report/write.js';

const rows: Row[] = [
  { scenario: 'bulk 64 KiB', system: 'gateway', metric: 'cpu per MiB', value: 2.2, unit: 'ms/MiB', min: 2.0, max: 2.6, n: 3 },
  { scenario: 'bulk 64 KiB', system: 'tls-relay', metric: 'cpu per MiB', value: 2.0, unit: 'ms/MiB', min: 1.9, max: 2.1, n: 3 },
  { scenario: 'idle', system: 'gateway', metric: 'rss per connection', value: 50, unit: 'KiB', min: 49, max: 52, n: 3 },
];

const record: RunRecord = {
  startedAt: '2026-12-02T16:45:00.000Z',
  mode: 'full',
  machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 4, kernel: '6.1', node: 'v20.0.0', openssl: '3.0.0', peers: {}, loadAverage: 0.1 },
  placement: 'pinned with taskset: each system under test alone on CPU 1, the load client and the sink on CPU 0',
  repetitions: 3,
  systems: [
    { name: 'gateway', description: 'this project' },
    { name: 'websockify', description: 'websockify', skipped: 'websockify is not installed (apt-get install -y websockify python3-numpy)' },
  ],
  notes: ['gateway negotiates TLSv1.3 TLS_AES_256_GCM_SHA384'],
  samples: rows,
  rows,
};

test('the document says how the run was pinned, how often it repeated, and every goal with what was measured', () => {
  const goals = evaluateGoals(rows);
  const doc = renderPerformance(record, goals, ['gateway', 'tls-relay'], ['tls-relay'], 'Profiles found X.');
  assert.match(doc, /^# Performance\n/);
  assert.match(doc, /- placement: pinned with taskset: each system under test alone on CPU 1, the load client and the sink on CPU 0/);
  assert.match(doc, /- repetitions: 3, interleaved; medians with \(min–max\)/);
  assert.match(doc, /\| bulk 64 KiB \| cpu per MiB \| ms\/MiB \| 2.20 \(2.00–2.60\) \| 2.00 \(1.90–2.10\) \| 1.10× \|/);
  assert.match(doc, /\| bulk 64 KiB, cpu per MiB: ≤ 1.15× tls-relay \| 1.10× \(2.20 against 2.00 ms\/MiB\) \| met \|/);
  assert.match(doc, /\| idle, rss per connection: ≤ 44 KiB \| 50.0 KiB \| not met \|/);
  assert.match(doc, /\| latency, p99: within 1 ms of nginx-stream \| — \| not measured \|/);
  for (const g of goals) assert.ok(doc.includes(`| ${g.text.replace(/\|/g, '\\|')} |`), `goal "${g.text}" is listed`);
  assert.match(doc, /\| `websockify` \| skipped: websockify is not installed/);
  assert.match(doc, /## What the profiles show\n\nProfiles found X\.\n$/);
  assert.match(doc, /- gateway negotiates TLSv1.3/);
});

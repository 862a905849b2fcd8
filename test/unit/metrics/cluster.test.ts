/** What the primary of `--workers` keeps of a dead worker's metrics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RetiredCounts } from '../../../src/metrics/cluster.js';

/** One worker's registry, as it would report itself: `n` connections opened, `open` held. */
async function report(n: number, open: number): Promise<Awaited<ReturnType<Registry['getMetricsAsJSON']>>> {
  const registry = new Registry();
  const opened = new Counter({ name: 'opened_total', help: 'h', labelNames: ['service'], registers: [registry] });
  const held = new Gauge({ name: 'open', help: 'h', labelNames: ['service'], registers: [registry] });
  const durations = new Histogram({ name: 'duration_seconds', help: 'h', buckets: [1], registers: [registry] });
  opened.inc({ service: 'echo' }, n);
  held.set({ service: 'echo' }, open);
  for (let i = 0; i < n; i++) durations.observe(0.5);
  return registry.getMetricsAsJSON();
}

async function sum(parts: readonly Awaited<ReturnType<typeof report>>[]): Promise<string> {
  return AggregatorRegistry.aggregate([...parts]).metrics();
}

test("a dead worker's counters and histograms stay in the sum; its gauges do not", async () => {
  const retired = new RetiredCounts();
  retired.add(await report(5, 2));
  const text = await sum([await report(3, 1), ...retired.parts]);
  assert.match(text, /^opened_total\{service="echo"\} 8$/m);
  assert.match(text, /^duration_seconds_count 8$/m);
  assert.match(text, /^duration_seconds_bucket\{le="1"\} 8$/m);
  assert.match(text, /^open\{service="echo"\} 1$/m);
});

test('the reports of many dead workers are merged into a few, and the sum is the same', async () => {
  const retired = new RetiredCounts();
  const reports = await Promise.all(Array.from({ length: 20 }, (_, i) => report(i + 1, 1)));
  // Added at once: most arrive while the first merge is under way.
  for (const r of reports) retired.add(r);
  await retired.settled();
  assert.ok(retired.parts.length < 20, `${retired.parts.length} parts kept`);
  let text = await sum(retired.parts);
  assert.match(text, /^opened_total\{service="echo"\} 210$/m);
  assert.match(text, /^duration_seconds_count 210$/m);
  assert.doesNotMatch(text, /^open\{/m);
  // The next loss merges what was added during the first merge.
  retired.add(await report(1, 1));
  await retired.settled();
  assert.equal(retired.parts.length, 1);
  text = await sum(retired.parts);
  assert.match(text, /^opened_total\{service="echo"\} 211$/m);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalLog } from '../../../src/listener/refusal-log.js';
import { memoryLog } from '../../helpers/memory-log.js';

/** Timers that fire only when the test says so. */
function manualTimers(): { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (h: unknown) => void; fire(): void; pending(): number } {
  let pending: (() => void) | undefined;
  return {
    setTimeout: (fn) => {
      pending = fn;
      return 1;
    },
    clearTimeout: () => (pending = undefined),
    fire: () => pending?.(),
    pending: () => (pending ? 1 : 0),
  };
}

const refusal = (reason: string, downstream: string) => ({ kind: 'TLS handshake failed', reason, message: `TLS handshake failed: ${reason}`, fields: { downstream } });

test('the first refusal of each reason is logged at once, the rest summed up when the interval ends', () => {
  const { log, lines } = memoryLog();
  const timers = manualTimers();
  const refusals = new RefusalLog(log, 10_000, timers);
  for (let i = 0; i < 500; i++) refusals.note(refusal('wrong version number', `10.0.0.${i % 250}:${1000 + i}`));
  refusals.note(refusal('no shared cipher', '10.0.0.9:5'));
  const warn = () => lines.filter((l) => l['level'] === 40);
  assert.deepEqual(warn().map((l) => [l['reason'], l['downstream']]), [['wrong version number', '10.0.0.0:1000'], ['no shared cipher', '10.0.0.9:5']]);
  assert.equal(lines.filter((l) => l['level'] === 20).length, 499, 'debug keeps a line per refusal');
  timers.fire();
  const summary = warn().filter((l) => l['event'] === 'refused-summary');
  assert.equal(summary.length, 1);
  assert.equal(summary[0]?.['count'], 499);
  assert.equal(summary[0]?.['msg'], 'TLS handshake failed: wrong version number: 499 more in the last 10 s');
  assert.equal(refusals.counts.get('TLS handshake failed'), 501);
  assert.equal(timers.pending(), 0, 'a quiet log keeps no timer');
  refusals.note(refusal('wrong version number', '10.0.0.1:1'));
  assert.equal(warn().length, 4, 'a new interval logs the first refusal at once again');
});

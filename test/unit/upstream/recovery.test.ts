import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recovery } from '../../../src/upstream/recovery.js';
import { GatewayError } from '../../../src/errors.js';
import { event } from '../../helpers/deadline.js';
import { FakeTimers } from '../../helpers/fake-timers.js';


/** A probe whose outcomes the test scripts in advance. */
function scriptedProbe(outcomes: boolean[]): { probe: () => Promise<void>; calls: () => number } {
  let calls = 0;
  return {
    probe: () => {
      const ok = outcomes[calls++];
      return ok ? Promise.resolve() : Promise.reject(new Error(`probe ${calls} refused`));
    },
    calls: () => calls,
  };
}

test('backoff runs 1, 2, 4 … s capped at maxIntervalMs, then comes up and starts again from 1 s', async () => {
  const timers = new FakeTimers();
  const script = scriptedProbe([false, false, false, false, false, true, false, true]);
  const recovery = new Recovery({ probe: script.probe, maxIntervalMs: 10_000, setTimer: timers.setTimer });
  assert.equal(recovery.up, true);

  const downs: unknown[] = [];
  const retries: [unknown, number][] = [];
  recovery.on('down', (e: unknown) => downs.push(e));
  recovery.on('retry', (e: unknown, delay: number) => retries.push([e, delay]));

  const first = new Error('ECONNREFUSED');
  recovery.reportFailure(first);
  assert.equal(recovery.up, false);
  assert.deepEqual(downs, [first]);
  recovery.reportFailure(new Error('ignored while down'));
  assert.equal(downs.length, 1, 'a second failure while down does not emit again');

  for (let i = 0; i < 5; i++) {
    const retried = event(recovery, 'retry');
    timers.fire();
    await retried;
  }
  assert.equal(recovery.up, false);
  const up = event(recovery, 'up');
  timers.fire();
  await up;
  assert.equal(recovery.up, true);
  assert.equal(timers.armed, false, 'nothing is scheduled while up');
  assert.deepEqual(timers.delays, [1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.deepEqual(
    retries.map(([, d]) => d),
    [2000, 4000, 8000, 10_000, 10_000],
  );
  assert.match(String(retries[0]?.[0]), /probe 1 refused/);

  recovery.reportFailure(new Error('again'));
  assert.equal(recovery.up, false);
  timers.fire();
  await event(recovery, 'retry');
  const upAgain = event(recovery, 'up');
  timers.fire();
  await upAgain;
  assert.deepEqual(timers.delays.slice(6), [1000, 2000], 'the backoff restarts after recovery');
  assert.equal(script.calls(), 8);
  recovery.stop();
});

test('a cap below one second is used from the first probe', async () => {
  const timers = new FakeTimers();
  const recovery = new Recovery({ probe: scriptedProbe([false, true]).probe, maxIntervalMs: 500, setTimer: timers.setTimer });
  recovery.reportFailure(new Error('down'));
  timers.fire();
  await event(recovery, 'retry');
  assert.deepEqual(timers.delays, [500, 500]);
  recovery.stop();
});

test('stop() cancels the pending probe, ignores a probe in flight, and is safe twice', async () => {
  const timers = new FakeTimers();
  let release: (() => void) | undefined;
  const recovery = new Recovery({
    probe: () =>
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    maxIntervalMs: 4000,
    setTimer: timers.setTimer,
  });
  let ups = 0;
  recovery.on('up', () => ups++);
  recovery.reportFailure(new Error('down'));
  timers.fire(); // the probe is now running
  assert.ok(release, 'the probe started');
  recovery.stop();
  recovery.stop();
  release?.();
  // Let the probe's settlement run: an 'up' after stop() would be a bug.
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(ups, 0);
  assert.equal(recovery.up, false);
  recovery.reportFailure(new Error('after stop'));
  assert.equal(timers.armed, false, 'nothing is scheduled after stop()');

  const second = new Recovery({ probe: () => Promise.resolve(), maxIntervalMs: 4000, setTimer: timers.setTimer });
  second.reportFailure(new Error('down'));
  assert.equal(timers.armed, true);
  second.stop();
  assert.equal(timers.armed, false, 'the pending timer is cancelled');
  second.stop();
});

test('a probe that throws synchronously counts as a failed probe', async () => {
  const timers = new FakeTimers();
  const recovery = new Recovery({
    probe: () => {
      throw new Error('bad probe');
    },
    maxIntervalMs: 4000,
    setTimer: timers.setTimer,
  });
  recovery.reportFailure(new Error('down'));
  timers.fire();
  const [err, delay] = (await event(recovery, 'retry')) as [Error, number];
  assert.equal(err.message, 'bad probe');
  assert.equal(delay, 2000);
  recovery.stop();
});

test('stop() from a down listener leaves nothing scheduled', () => {
  const timers = new FakeTimers();
  const recovery = new Recovery({ probe: () => Promise.resolve(), maxIntervalMs: 4000, setTimer: timers.setTimer });
  recovery.on('down', () => recovery.stop());
  recovery.reportFailure(new Error('down'));
  assert.equal(timers.armed, false);
});

function refTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('the default timer is unref’d, so a recovering service does not hold the process open', () => {
  const before = refTimers();
  const recovery = new Recovery({ probe: () => Promise.resolve(), maxIntervalMs: 60_000 });
  recovery.reportFailure(new Error('down'));
  assert.equal(refTimers(), before, 'the probe timer keeps no reference on the event loop');
  recovery.stop();
});

test('maxIntervalMs must be positive', () => {
  assert.throws(
    () => new Recovery({ probe: () => Promise.resolve(), maxIntervalMs: 0 }),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_INTERNAL' && /maxIntervalMs > 0/.test(e.message),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyEntry } from '../../../src/keystore/types.js';
import { nextValidityChange, watchValidityChanges } from '../../../src/tls/validity-changes.js';
import { LONGEST_WAIT_MS } from '../../../src/timers/wall-clock.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';

const pki = testPki();
const DAY = 86_400_000;
const entry = (issued: Issued): KeyEntry => ({ alias: issued.x509.subject, privateKey: issued.keyObject, chain: [issued.x509] });
const server = (notBeforeDays: number, notAfterDays: number) => entry(issue({ subject: { CN: 'localhost' }, issuer: pki.ca, usage: 'server', keyType: 'ec', notBeforeDays, notAfterDays }));

/** A fake clock whose time is the wall clock's at its start. */
function wallClock() {
  const clock = fakeClock();
  const base = Date.now();
  return { ...clock, now: () => base + clock.now() };
}

test('the next start or end among the entries, an end the millisecond after notAfter', () => {
  const now = Date.now();
  const old = server(-30, 2);
  const renewal = server(1, 400);
  assert.equal(nextValidityChange([old, renewal], now), Date.parse(renewal.chain[0]!.validFrom));
  assert.equal(nextValidityChange([old, renewal], Date.parse(renewal.chain[0]!.validFrom)), Date.parse(old.chain[0]!.validTo) + 1);
  assert.equal(nextValidityChange([server(-30, -1)], now), Number.POSITIVE_INFINITY, 'an expired certificate changes nothing more');
});

test('called once a start or an end has passed, and looking again at least hourly meanwhile', () => {
  const clock = wallClock();
  const old = server(-30, 0.5);
  const renewal = server(0.25, 400);
  let calls = 0;
  const stop = watchValidityChanges([old, renewal], clock.now(), () => calls++, clock);
  clock.advance(LONGEST_WAIT_MS);
  assert.equal(calls, 0, 'an hour in, nothing has started or ended');
  assert.equal(clock.pending(), 1);
  clock.advance(Date.parse(renewal.chain[0]!.validFrom) - clock.now());
  assert.equal(calls, 1, 'the renewal has started');
  clock.advance(Date.parse(old.chain[0]!.validTo) + 1 - clock.now());
  assert.equal(calls, 2, 'the old one has ended');
  clock.advance(DAY);
  assert.equal(calls, 2);
  stop();
  assert.equal(clock.pending(), 0);
});

test('a wall clock stepped past a change is caught up with at the next look', () => {
  const clock = wallClock();
  let step = 0;
  const stepped = { ...clock, now: () => clock.now() + step };
  const renewal = server(0.5, 400);
  let calls = 0;
  const stop = watchValidityChanges([renewal], stepped.now(), () => calls++, stepped);
  step = DAY;
  clock.advance(LONGEST_WAIT_MS);
  assert.equal(calls, 1);
  stop();
});

test('a change that passed since the choice was made calls at once; a clock stepped back calls too', () => {
  const clock = wallClock();
  const started = server(-1 / 24, 400);
  let calls = 0;
  // Chosen two hours ago, before the certificate's start an hour ago.
  const stop = watchValidityChanges([started], clock.now() - 2 * 3_600_000, () => calls++, clock);
  clock.advance(0);
  assert.equal(calls, 1);
  stop();

  let step = 0;
  const stepped = { ...clock, now: () => clock.now() + step };
  const later = server(1, 400);
  let back = 0;
  const stopBack = watchValidityChanges([later], stepped.now(), () => back++, stepped);
  step = -DAY;
  clock.advance(LONGEST_WAIT_MS);
  assert.equal(back, 1, 'what was chosen for a later time is chosen again');
  stopBack();
});

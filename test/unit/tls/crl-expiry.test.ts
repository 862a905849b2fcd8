import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CrlSummary, LoadedCrls } from '../../../src/tls/crl.js';
import { watchCrlExpiry } from '../../../src/tls/crl-expiry.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

/** Waits for `promise` within the deadline; the watch's timers do not keep the process alive, so this does. */
async function awaited<T>(promise: Promise<T>, what: string): Promise<T> {
  const alive = setInterval(() => undefined, 1000);
  try {
    return await withDeadline(promise, WAIT_MS, what);
  } finally {
    clearInterval(alive);
  }
}

/** CRLs as loaded, each CA's its own series (its name standing for its name and key). */
function loaded(...list: CrlSummary[]): LoadedCrls {
  return {
    pems: list.map(() => ''),
    revocations: list.map((c) => ({
      issuerDer: c.issuer,
      thisUpdate: Date.parse(c.thisUpdate),
      nextUpdate: c.nextUpdate === undefined ? undefined : Date.parse(c.nextUpdate),
      serials: new Set<string>(),
      signed: undefined,
      series: c.issuer,
      authorityKeyId: '',
      verified: false,
    })),
    summary: list,
    warnings: [],
  };
}

function crl(issuer: string, number: string, nextUpdateInMs: number | undefined): CrlSummary {
  const now = Date.now();
  return {
    issuer,
    thisUpdate: new Date(now - 3_600_000 + Number(number)).toISOString(),
    nextUpdate: nextUpdateInMs === undefined ? undefined : new Date(now + nextUpdateInMs).toISOString(),
    revoked: 0,
    number,
    file: `${issuer}-${number}.crl`,
  };
}

test("each CA's latest CRL is reported once when its nextUpdate passes; past, superseded and dateless ones are not", async () => {
  const expired: string[] = [];
  let done: () => void = () => undefined;
  const both = new Promise<void>((resolve) => (done = resolve));
  const stop = watchCrlExpiry(
    loaded(
      crl('CN=A', '2', 40),
      crl('CN=A', '1', 20), // superseded by number 2
      crl('CN=B', '1', 80),
      crl('CN=C', '1', -1_000), // already past: warned about when it was loaded
      crl('CN=D', '1', undefined), // never stale
    ),
    (c) => {
      expired.push(`${c.issuer} ${c.number ?? ''}`);
      if (expired.length === 2) done();
    },
  );
  try {
    await awaited(both, 'two CRLs to be reported expired');
    assert.deepEqual(expired, ['CN=A 2', 'CN=B 1']);
  } finally {
    stop();
  }
});

test('a stopped watch reports nothing', async () => {
  const expired: string[] = [];
  const stop = watchCrlExpiry(loaded(crl('CN=A', '1', 10)), (c) => expired.push(c.issuer));
  stop();
  // A later watch's report proves time has passed beyond the stopped one's date.
  await awaited(new Promise<void>((resolve) => watchCrlExpiry(loaded(crl('CN=B', '1', 30)), () => resolve())), 'the second watch to report');
  assert.deepEqual(expired, []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../../src/errors.js';
import { loadCrls, stillAnchored, succeedCrls, type LoadCrlOptions, type LoadedCrls } from '../../../src/tls/crl.js';
import { crlFingerprint, watchCrl } from '../../../src/tls/crl-watch.js';
import { makeCrl } from '../../helpers/crl.js';
import { testPki } from '../../helpers/pki.js';
import { WAIT_MS } from '../../helpers/deadline.js';

type WatchEvent = { kind: 'change'; crls: LoadedCrls } | { kind: 'error'; error: unknown };

/**
 * Watches `path` and hands out its events one at a time, in order. The watcher's timer is unref'd, so while a test
 * waits for an event a guard timer keeps the process alive; it also fails the wait if no event comes.
 */
function watcher(path: string, options: LoadCrlOptions = {}): { next(): Promise<WatchEvent>; stop(): void } {
  const queue: WatchEvent[] = [];
  let waiting: ((e: WatchEvent) => void) | undefined;
  const push = (e: WatchEvent): void => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(e);
    } else queue.push(e);
  };
  const stop = watchCrl(path, loadCrls(path, options), (crls) => (push({ kind: 'change', crls }), true), (error) => push({ kind: 'error', error }), { ...options, intervalMs: 5 });
  return {
    next(): Promise<WatchEvent> {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for a CRL watch event`)), WAIT_MS);
        waiting = (e) => {
          clearTimeout(guard);
          resolve(e);
        };
      });
    },
    stop,
  };
}

/** A folder watched and a scratch folder beside it (publish writes there first), removed after the test. */
function folders(t: { after(fn: () => void): void }): { dir: string; scratch: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-watch-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gw-crl-scratch-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  return { dir, scratch };
}

/** Replaces `path` atomically, as CAs publish CRLs, so that no poll sees a half-written file. */
function publish(scratch: string, path: string, content: string | Buffer): void {
  const temp = join(scratch, `next-${Math.random().toString(16).slice(2)}`);
  writeFileSync(temp, content);
  renameSync(temp, path);
}

function revokedCount(e: WatchEvent): number[] {
  assert.equal(e.kind, 'change', e.kind === 'error' ? String(e.error) : '');
  return e.kind === 'change' ? e.crls.summary.map((s) => s.revoked) : [];
}

test('a replaced CRL file is re-read; a bad replacement reports an error and the next good one loads', async (t) => {
  const { ca, client, client2 } = testPki();
  const { dir, scratch } = folders(t);
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca).pem);
  assert.deepEqual(loadCrls(file).summary.map((s) => s.revoked), [0]);
  const w = watcher(file);
  try {
    publish(scratch, file, makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 2 }).der);
    assert.deepEqual(revokedCount(await w.next()), [1]);

    publish(scratch, file, 'garbage');
    const bad = await w.next();
    assert.equal(bad.kind, 'error');
    assert.ok(bad.kind === 'error' && bad.error instanceof GatewayError && bad.error.code === 'GW_ERR_TLS_CRL');
    assert.match(bad.kind === 'error' ? String((bad.error as Error).message) : '', /ca.crl: is neither PEM nor a DER CRL/);

    // The bad state is reported once: the next event is the good file, not the same error again.
    publish(scratch, file, makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }, { serial: client2.x509.serialNumber }], number: 3 }).pem);
    assert.deepEqual(revokedCount(await w.next()), [2]);

    unlinkSync(file);
    assert.equal((await w.next()).kind, 'error');
    publish(scratch, file, makeCrl(ca, { number: 4 }).pem);
    assert.deepEqual(revokedCount(await w.next()), [0]);
  } finally {
    w.stop();
    w.stop();
  }
});

test('a directory is re-read when a CRL file is added or replaced; hidden files are not looked at', async (t) => {
  const { ca, otherCa, client } = testPki();
  const { dir, scratch } = folders(t);
  publish(scratch, join(dir, 'root.crl'), makeCrl(ca).der);
  const w = watcher(dir);
  try {
    publish(scratch, join(dir, '.partial'), 'half a CRL');
    publish(scratch, join(dir, 'other.crl'), makeCrl(otherCa).der);
    const added = await w.next();
    assert.deepEqual(added.kind === 'change' ? added.crls.summary.map((s) => s.issuer) : added, ['CN=Other CA, O=Evil', 'CN=Test Root CA, O=Acme']);
    publish(scratch, join(dir, 'root.crl'), makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 2 }).der);
    assert.deepEqual(revokedCount(await w.next()), [0, 1]);
  } finally {
    w.stop();
  }
});

function changed(e: WatchEvent): LoadedCrls {
  assert.equal(e.kind, 'change', e.kind === 'error' ? String(e.error) : '');
  return (e as { crls: LoadedCrls }).crls;
}

test('a CRL of a truststore CA older than the one in force is not taken: a stale copy cannot admit revoked clients again', async (t) => {
  const { ca, otherCa, client } = testPki();
  const { dir, scratch } = folders(t);
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 3 }).pem + makeCrl(otherCa, { number: 1 }).pem);
  const w = watcher(file, { trustAnchors: [ca.x509, otherCa.x509] });
  try {
    // The stale copy of one CA's comes with a new CRL of the other's: that one is taken.
    publish(scratch, file, makeCrl(ca, { number: 2 }).pem + makeCrl(otherCa, { number: 2 }).pem);
    const stale = changed(await w.next());
    assert.deepEqual(stale.summary.map((c) => [c.issuer, c.number, c.revoked]), [['CN=Other CA, O=Evil', '2', 0], ['CN=Test Root CA, O=Acme', '3', 1]]);
    assert.match(stale.warnings.join('\n'), /the CRL of "CN=Test Root CA, O=Acme" \(number 2, .*\) is older than the one in force \(number 3, .*\), which stays in force/);
    publish(scratch, file, makeCrl(ca, { number: 4, revoked: [{ serial: client.x509.serialNumber }] }).pem + makeCrl(otherCa, { number: 2 }).pem);
    assert.deepEqual(revokedCount(await w.next()), [1, 0]);
    publish(scratch, file, makeCrl(ca, { number: 4 }).pem + makeCrl(otherCa, { number: 2 }).pem);
    assert.deepEqual(revokedCount(await w.next()), [0, 0], 'the same number again is no older');
    publish(scratch, file, makeCrl(ca, { number: 5, thisUpdate: new Date(Date.now() - 48 * 3_600_000) }).pem + makeCrl(otherCa, { number: 2 }).pem);
    const later = changed(await w.next());
    assert.deepEqual(later.summary.map((c) => c.number), ['5', '2'], 'a higher number decides, whatever its thisUpdate');
    assert.equal(later.warnings.length, 0);
  } finally {
    w.stop();
  }
});

test('a reload succeeds the CRLs in force only for the CAs its truststore still holds', async (t) => {
  const { ca, otherCa, client } = testPki();
  const { dir, scratch } = folders(t);
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 3 }).pem + makeCrl(otherCa, { number: 3 }).pem);
  const inForce = loadCrls(file, { trustAnchors: [ca.x509, otherCa.x509] });
  // The reload's truststore no longer holds the other CA, nor the file its CRL; it holds an older one of the first.
  publish(scratch, file, makeCrl(ca, { number: 2 }).pem);
  const anchors = [ca.x509];
  const taken = succeedCrls(file, stillAnchored(inForce, anchors), loadCrls(file, { trustAnchors: anchors }));
  assert.deepEqual(taken.summary.map((c) => [c.issuer, c.number, c.revoked]), [['CN=Test Root CA, O=Acme', '3', 1]]);
  assert.equal(taken.warnings.length, 1);
  assert.match(taken.warnings[0] ?? '', /the CRL of "CN=Test Root CA, O=Acme" \(number 2, .*\) is older than the one in force \(number 3, .*\), which stays in force/);
});

test('a change made between the read and the start of the watch is read at its first look', async (t) => {
  const { ca, client } = testPki();
  const { dir, scratch } = folders(t);
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca, { number: 1 }).pem);
  const readAt = crlFingerprint(file);
  const inForce = loadCrls(file, { trustAnchors: [ca.x509] });
  // Published while a reload's state waited to be swapped in.
  publish(scratch, file, makeCrl(ca, { number: 2, revoked: [{ serial: client.x509.serialNumber }] }).pem);
  const seen = new Promise<LoadedCrls>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no change seen within ${WAIT_MS} ms`)), WAIT_MS);
    const stop = watchCrl(file, inForce, (crls) => (clearTimeout(guard), stop(), resolve(crls), true), reject, { trustAnchors: [ca.x509], intervalMs: 5, readAt });
  });
  assert.deepEqual((await seen).summary.map((c) => [c.number, c.revoked]), [['2', 1]]);
});

test("the numbers of a CRL no truststore CA's signature vouches for (an intermediate CA's) decide nothing", async (t) => {
  const { ca } = testPki();
  const { dir, scratch } = folders(t);
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca, { number: 999999 }).pem);
  const w = watcher(file);
  try {
    publish(scratch, file, makeCrl(ca, { number: 7 }).pem);
    const taken = changed(await w.next());
    assert.deepEqual(taken.summary.map((c) => c.number), ['7']);
    assert.equal(taken.warnings.length, 0);
  } finally {
    w.stop();
  }
});

test("a CA's CRL gone from a directory stays in force until one is back: deleting, then downloading, cuts no one off", async (t) => {
  const { ca, otherCa } = testPki();
  const { dir, scratch } = folders(t);
  publish(scratch, join(dir, 'root.crl'), makeCrl(ca).der);
  publish(scratch, join(dir, 'other.crl'), makeCrl(otherCa).der);
  const w = watcher(dir, { trustAnchors: [ca.x509, otherCa.x509] });
  try {
    unlinkSync(join(dir, 'root.crl'));
    const kept = changed(await w.next());
    assert.deepEqual(kept.summary.map((c) => [c.issuer, c.number]), [['CN=Other CA, O=Evil', '1'], ['CN=Test Root CA, O=Acme', '1']]);
    const warnings = kept.warnings.join('\n');
    assert.match(warnings, /no longer holds a CRL of "CN=Test Root CA, O=Acme" \(the one in force: number 1, issued .*root\.crl\): it stays in force/);
    assert.doesNotMatch(warnings, /no CRL is loaded for the truststore CA "CN=Test Root CA/);
    assert.equal(kept.incomplete, true, 'what the files hold is not all that is in force');
    publish(scratch, join(dir, 'root-new.crl'), makeCrl(ca, { number: 2 }).der);
    const back = changed(await w.next());
    assert.deepEqual(back.summary.map((s) => [s.issuer, s.number]), [['CN=Other CA, O=Evil', '1'], ['CN=Test Root CA, O=Acme', '2']]);
    assert.equal(back.warnings.length, 0);
    assert.equal(back.incomplete, false);
  } finally {
    w.stop();
  }
});

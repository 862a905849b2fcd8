import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../../src/errors.js';
import { loadCrls, type LoadedCrls } from '../../../src/tls/crl.js';
import { watchCrl } from '../../../src/tls/crl-watch.js';
import { makeCrl } from '../../helpers/crl.js';
import { testPki } from '../../helpers/pki.js';
import { WAIT_MS } from '../../helpers/deadline.js';

type WatchEvent = { kind: 'change'; crls: LoadedCrls } | { kind: 'error'; error: unknown };

/**
 * Watches `path` and hands out its events one at a time, in order. The watcher's timer is unref'd, so while a test
 * waits for an event a guard timer keeps the process alive; it also fails the wait if no event comes.
 */
function watcher(path: string): { next(): Promise<WatchEvent>; stop(): void } {
  const queue: WatchEvent[] = [];
  let waiting: ((e: WatchEvent) => void) | undefined;
  const push = (e: WatchEvent): void => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(e);
    } else queue.push(e);
  };
  const stop = watchCrl(path, loadCrls(path), (crls) => push({ kind: 'change', crls }), (error) => push({ kind: 'error', error }), { intervalMs: 5 });
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

test('a replaced CRL file is re-read; a bad replacement reports an error and the next good one loads', async () => {
  const { ca, client, client2 } = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-watch-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gw-crl-scratch-'));
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
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('a directory is re-read when a CRL file is added or replaced; hidden files are not looked at', async () => {
  const { ca, otherCa, client } = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-watch-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gw-crl-scratch-'));
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
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

function errorText(e: WatchEvent): string {
  assert.equal(e.kind, 'error', 'the change was refused');
  assert.ok(e.kind === 'error' && e.error instanceof GatewayError && e.error.code === 'GW_ERR_TLS_CRL');
  return e.kind === 'error' ? String((e.error as Error).message) : '';
}

test('a CRL older than the one in force is refused, so a stale copy cannot admit revoked clients again', async () => {
  const { ca, client } = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-watch-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gw-crl-scratch-'));
  const file = join(dir, 'ca.crl');
  publish(scratch, file, makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }], number: 3 }).pem);
  const w = watcher(file);
  try {
    publish(scratch, file, makeCrl(ca, { number: 2 }).pem);
    assert.match(errorText(await w.next()), /the CRL of "CN=Test Root CA, O=Acme" \(number 2, .*\) is older than the one in force \(number 3, .*\): the certificates revoked since would be admitted again/);
    publish(scratch, file, makeCrl(ca, { number: 4, revoked: [{ serial: client.x509.serialNumber }] }).pem);
    assert.deepEqual(revokedCount(await w.next()), [1]);
    publish(scratch, file, makeCrl(ca, { number: 4 }).pem);
    assert.deepEqual(revokedCount(await w.next()), [0], 'the same number again is no older');
    publish(scratch, file, makeCrl(ca, { number: 5, thisUpdate: new Date(Date.now() - 48 * 3_600_000) }).pem);
    assert.deepEqual(revokedCount(await w.next()), [0], 'a higher number decides, whatever its thisUpdate');
  } finally {
    w.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("a CA's CRL gone from a directory is refused until one is back: deleting, then downloading, cuts no one off", async () => {
  const { ca, otherCa } = testPki();
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-watch-'));
  const scratch = mkdtempSync(join(tmpdir(), 'gw-crl-scratch-'));
  publish(scratch, join(dir, 'root.crl'), makeCrl(ca).der);
  publish(scratch, join(dir, 'other.crl'), makeCrl(otherCa).der);
  const w = watcher(dir);
  try {
    unlinkSync(join(dir, 'root.crl'));
    assert.match(errorText(await w.next()), /no longer holds a CRL of "CN=Test Root CA, O=Acme" \(the one in force: number 1, issued .*root\.crl\); without one, every client of that CA would be refused \(UNABLE_TO_GET_CRL\)/);
    publish(scratch, join(dir, 'root-new.crl'), makeCrl(ca, { number: 2 }).der);
    const back = await w.next();
    assert.deepEqual(back.kind === 'change' ? back.crls.summary.map((s) => [s.issuer, s.number]) : back, [['CN=Other CA, O=Evil', '1'], ['CN=Test Root CA, O=Acme', '2']]);
  } finally {
    w.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

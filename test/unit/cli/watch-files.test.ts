/** Which changes to the files behind a configuration the watcher reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFiles } from '../../../src/cli/watch-files.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

const DEBOUNCE_MS = 20;

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The next report of the watcher, and a way to stop it. */
function watching(paths: string[]): { next(): Promise<string[]>; stop(): void } {
  const reports: string[][] = [];
  let waiter: ((changed: string[]) => void) | undefined;
  const stop = watchFiles(
    paths,
    (changed) => {
      if (waiter) {
        waiter(changed);
        waiter = undefined;
      } else reports.push(changed);
    },
    { debounceMs: DEBOUNCE_MS },
  );
  return {
    next: () => {
      const queued = reports.shift();
      if (queued) return Promise.resolve(queued);
      // The watcher keeps nothing alive (a gateway's other work does); the test must, while it waits.
      const alive = setInterval(() => undefined, WAIT_MS);
      return withDeadline(new Promise<string[]>((resolve) => (waiter = resolve)), WAIT_MS, 'the watcher to report a change').finally(() => clearInterval(alive));
    },
    stop,
  };
}

/** A configuration file in a folder of its own, watched until the test ends. */
function watchedConfig(t: { after(fn: () => void): void }): { dir: string; file: string; w: ReturnType<typeof watching> } {
  const dir = scratch(t);
  const file = join(dir, 'gateway-config.xml');
  writeFileSync(file, 'one');
  const w = watching([file]);
  t.after(w.stop);
  return { dir, file, w };
}

test('a file saved by renaming a new one over it is reported', async (t) => {
  const { dir, file, w } = watchedConfig(t);
  writeFileSync(join(dir, '.gateway-config.xml.swp'), 'two');
  renameSync(join(dir, '.gateway-config.xml.swp'), file);
  assert.deepEqual(await w.next(), [file]);
});

test("a Kubernetes Secret's update, a swap of its ..data link to a new folder, is reported for the files that changed", async (t) => {
  const dir = scratch(t);
  // As the kubelet lays out a mounted Secret: each key a link through ..data to a timestamped folder.
  mkdirSync(join(dir, '..2026_12_01_00_00_00.1'));
  writeFileSync(join(dir, '..2026_12_01_00_00_00.1', 'keystore.p12'), 'old store');
  writeFileSync(join(dir, '..2026_12_01_00_00_00.1', 'keystore.pw'), 'same');
  symlinkSync('..2026_12_01_00_00_00.1', join(dir, '..data'));
  symlinkSync('..data/keystore.p12', join(dir, 'keystore.p12'));
  symlinkSync('..data/keystore.pw', join(dir, 'keystore.pw'));
  const store = join(dir, 'keystore.p12');
  const password = join(dir, 'keystore.pw');
  const w = watching([store, password]);
  t.after(w.stop);

  // The update: a new folder, a new link to it, renamed over ..data. The password file's content is the same, but
  // it is a new file too.
  mkdirSync(join(dir, '..2026_12_02_00_00_00.2'));
  writeFileSync(join(dir, '..2026_12_02_00_00_00.2', 'keystore.p12'), 'new store, longer');
  writeFileSync(join(dir, '..2026_12_02_00_00_00.2', 'keystore.pw'), 'same');
  symlinkSync('..2026_12_02_00_00_00.2', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, '..2026_12_01_00_00_00.1'), { recursive: true });
  assert.deepEqual(new Set(await w.next()), new Set([store, password]));
});

test('other files written beside a watched one are not reported, and do not hold back a change to it', async (t) => {
  const { dir, file, w } = watchedConfig(t);
  // A log beside the configuration, written all the while: the folder is never quiet.
  const log = join(dir, 'gateway.log');
  let n = 0;
  const writer = setInterval(() => writeFileSync(log, `line ${n++}\n`, { flag: 'a' }), DEBOUNCE_MS / 4);
  t.after(() => clearInterval(writer));
  writeFileSync(file, 'two, longer');
  assert.deepEqual(await w.next(), [file]);
});

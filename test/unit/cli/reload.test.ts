import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import type { Gateway } from '../../../src/gateway.js';
import { Reloader } from '../../../src/cli/reload.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

const NS = 'http://xmlns.kaazing.org/2016/06/gateway';
const echo = (path: string): string =>
  `<gateway-config xmlns="${NS}"><service><name>echo</name><accept>ws://127.0.0.1:0${path}</accept><type>echo</type></service></gateway-config>\n`;

test('a file changed while a reload is being made is reloaded again once it is done', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway-config.xml');
  writeFileSync(file, echo('/a'));
  const loaded = loadConfig(file, {});
  assert.ok(loaded.ok);
  const swapped: string[] = [];
  let secondDone: () => void = () => undefined;
  const second = new Promise<void>((resolve) => (secondDone = resolve));
  // Only what the Reloader uses of a running gateway.
  const gateway = {
    config: loaded.config,
    reload: async (next: Gateway) => {
      swapped.push(next.config.services[0]?.accepts[0]?.path ?? '?');
      // Saved again while this reload is under way, as an editor's second write may be.
      if (swapped.length === 1) writeFileSync(file, echo('/b'));
      else secondDone();
      return [];
    },
    reloadFailed: () => undefined,
  } as unknown as Gateway;
  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, memoryLog().log, { watch: true });
  t.after(() => reloader.stop());
  assert.equal(await reloader.request('SIGHUP'), true);
  await withDeadline(second, WAIT_MS, 'the reload of what was saved during the first');
  assert.deepEqual(swapped, ['/a', '/b']);
});

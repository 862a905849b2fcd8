import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { loadConfig } from '../../../src/config/index.js';
import type { GatewayConfig } from '../../../src/config/types.js';
import type { Gateway } from '../../../src/gateway.js';
import { GatewayError } from '../../../src/errors.js';
import { displayPath } from '../../../src/cli/paths.js';
import { prepare } from '../../../src/cli/prepare.js';
import { Reloader } from '../../../src/cli/reload.js';
import { storePath } from '../../helpers/keytool.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

const NS = 'http://xmlns.kaazing.org/2016/06/gateway';
const echo = (path: string): string =>
  `<gateway-config xmlns="${NS}"><service><name>echo</name><accept>ws://127.0.0.1:0${path}</accept><type>echo</type></service></gateway-config>\n`;

/** A configuration file of one echo service at ws://127.0.0.1:0/a, removed after the test, and what it reads as. */
function echoFile(t: TestContext): { file: string; config: GatewayConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway-config.xml');
  writeFileSync(file, echo('/a'));
  const loaded = loadConfig(file, {});
  assert.ok(loaded.ok);
  return { file, config: loaded.config };
}

test('a file changed while a reload is being made is reloaded again once it is done', async (t) => {
  const { file, config } = echoFile(t);
  const swapped: string[] = [];
  let secondDone: () => void = () => undefined;
  const second = new Promise<void>((resolve) => (secondDone = resolve));
  // Only what the Reloader uses of a running gateway.
  const gateway = {
    config,
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

test('a configuration file gone since start fails the reload saying so, not asking for -c', async (t) => {
  const { file, config } = echoFile(t);
  const failures: string[] = [];
  // Only what the Reloader uses of a running gateway.
  const gateway = { config, reload: async () => [], reloadFailed: () => failures.push('failed') } as unknown as Gateway;
  rmSync(file);
  const logs = memoryLog();
  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, logs.log, { watch: false });
  t.after(() => reloader.stop());
  assert.equal(await withDeadline(reloader.request('SIGHUP'), WAIT_MS, 'the reload'), false);
  const line = logs.lines.find((l) => l['code'] === 'GW_ERR_FILE_READ');
  assert.match(String(line?.['msg']), /cannot read the configuration file ".*gateway-config\.xml": no such file \(it was read when the gateway started: it has been moved or removed since, and the configuration in force stays until it is back\)$/);
  assert.deepEqual(failures, ['failed']);
});

test('an error thrown while the reload is prepared fails the reload, as a problem in the file does, instead of ending the process', async (t) => {
  const { file, config } = echoFile(t);
  const failures: unknown[] = [];
  // What the new gateway shares with the running one is read while preparing; here, reading it throws.
  const gateway = {
    config,
    get metrics(): never {
      throw new GatewayError('GW_ERR_FILE_READ', 'the development PKI is taken apart', { hint: 'restore it' });
    },
    reload: async () => [],
    reloadFailed: (err: unknown) => failures.push(err),
  } as unknown as Gateway;
  const logs = memoryLog();
  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, logs.log, { watch: false });
  t.after(() => reloader.stop());
  assert.equal(await withDeadline(reloader.request('SIGHUP'), WAIT_MS, 'the reload'), false);
  assert.equal(failures.length, 1);
  const line = logs.lines.find((l) => l['code'] === 'GW_ERR_RELOAD');
  assert.equal(line?.['msg'], 'Reload failed, the configuration in force stays: GW_ERR_FILE_READ: the development PKI is taken apart (restore it)');
  // The next request is served as any other.
  assert.equal(await withDeadline(reloader.request('SIGHUP'), WAIT_MS, 'a second reload'), false);
  assert.equal(failures.length, 2);
});

test('a new address already in use fails the reload at the accept that wanted it, as start-up says, and the configuration in force serves on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway-config.xml');
  const service = (name: string, accept: string): string[] => ['  <service>', `    <name>${name}</name>`, `    <accept>${accept}</accept>`, '    <type>echo</type>', '  </service>'];
  const write = (...body: string[]): void => writeFileSync(file, [`<gateway-config xmlns="${NS}">`, ...body, '</gateway-config>', ''].join('\n'));
  write(...service('echo', 'ws://127.0.0.1:0/a'));
  const logs = memoryLog();
  const gateway = prepare(file, {}, logs.log).gateway;
  assert.ok(gateway);
  t.after(() => gateway.stop());
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);

  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await event(blocker, 'listening');
  t.after(() => blocker.close());
  const taken = (blocker.address() as AddressInfo).port;
  // The new accept is on line 9, its element at column 5.
  write(...service('echo', 'ws://127.0.0.1:0/a'), ...service('other', `ws://127.0.0.1:${taken}/echo`));
  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, logs.log, { watch: false });
  t.after(() => reloader.stop());
  assert.equal(await withDeadline(reloader.request('SIGHUP'), WAIT_MS, 'the reload'), false);

  const problem = `Unable to bind to resource: 127.0.0.1:${taken} cause: Address already in use (wanted by ws://127.0.0.1:${taken}/echo of service "other")`;
  const at = `${displayPath(file)}:9:5`;
  const lines = logs.lines.map((l) => l['msg']);
  const failed = lines.findIndex((m) => String(m).startsWith('Reload failed'));
  assert.equal(lines[failed - 1], `${at}: error GW_ERR_BIND: ${problem}`, 'the problem on a line of its own, as start-up logs it');
  assert.equal(logs.lines[failed - 1]?.['code'], 'GW_ERR_BIND');
  assert.equal(lines[failed], `Reload failed, the configuration in force stays: ${at}: GW_ERR_BIND: ${problem}`);

  const ws = new WebSocket(`ws://127.0.0.1:${bound.port}/a`);
  await event(ws, 'open', 'the accept in force to take a client');
  const reply = event<[Buffer]>(ws, 'message', 'the echo');
  ws.send('still here');
  assert.equal((await reply)[0].toString(), 'still here');
  ws.close();
});

/**
 * A started gateway whose echo accept is ws://127.0.0.1:0/a and whose keystore is JCEKS: three keys of 2 × 200,000
 * MD5 rounds each, what a reload would otherwise spend with every client held.
 */
async function jceksGateway(t: TestContext): Promise<{ file: string; logs: ReturnType<typeof memoryLog>; gateway: Gateway; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway-config.xml');
  const passwordFile = join(dir, 'keystore.pw');
  writeFileSync(passwordFile, 'jceks-pass\n');
  const security = `<security><keystore><type>JCEKS</type><file>${storePath('gateway.jceks')}</file><password-file>${passwordFile}</password-file></keystore></security>`;
  writeFileSync(file, echo('/a').replace('<service>', `${security}<service>`));
  const logs = memoryLog();
  const gateway = prepare(file, {}, logs.log).gateway;
  assert.ok(gateway, JSON.stringify(logs.lines));
  t.after(() => gateway.stop());
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);
  return { file, logs, gateway, port: bound.port };
}

test('a client is answered while a reload opens a JCEKS keystore, whose keys are derived on a thread', async (t) => {
  const { file, logs, gateway, port } = await jceksGateway(t);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/a`);
  t.after(() => ws.terminate());
  await event(ws, 'open', 'the client to connect');

  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, logs.log, { watch: false });
  t.after(() => reloader.stop());
  let reloaded = false;
  const reload = reloader.request('SIGHUP').then((ok) => {
    reloaded = true;
    return ok;
  });
  // One echo after another for as long as the reload runs: each is a full turn through the gateway and back.
  const echoes = async (): Promise<number> => {
    let answered = 0;
    while (!reloaded) {
      const reply = event<[Buffer]>(ws, 'message', 'the echo during the reload');
      ws.send(`echo ${answered}`);
      assert.equal((await reply)[0].toString(), `echo ${answered}`);
      if (!reloaded) answered++;
    }
    return answered;
  };
  const answered = await withDeadline(echoes(), WAIT_MS, 'the echoes until the reload is done');
  assert.equal(await reload, true);
  assert.ok(answered >= 3, `${answered} echoes answered while the reload ran`);
});

test('a reload whose reloader is stopped while the stores are decoded swaps nothing and counts no failure', async (t) => {
  const { file, logs, gateway } = await jceksGateway(t);
  const reloader = new Reloader(gateway, { configPath: file, defines: {} }, logs.log, { watch: false });
  const first = reloader.request('SIGHUP');
  const queued = reloader.request('SIGHUP again');
  // As a drain or stop does, while the thread is still deriving the keys.
  reloader.stop();
  assert.equal(await withDeadline(first, WAIT_MS, 'the reload under way'), false);
  assert.equal(await withDeadline(queued, WAIT_MS, 'the reload queued behind it'), false);
  assert.deepEqual([gateway.reloads.success, gateway.reloads.failure], [0, 0]);
  assert.equal(logs.lines.filter((l) => /^Reload(ed| failed)/.test(String(l['msg']))).length, 0, 'no reload logged as done or failed');
});

/** What a user sees for a wrong command line, a missing file and a truncated one: one coded line, a documented exit code. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { runGateway } from '../helpers/gateway-process.js';
import { workspace } from '../helpers/e2e-setup.js';
import { repoPath } from '../helpers/paths.js';

const USAGE = /^error GW_ERR_USAGE: .+$/m;

describe('command-line and file errors', () => {
  const ws = workspace();
  after(() => ws.cleanup());

  test('an unknown option is GW_ERR_USAGE with a did-you-mean, exit 2', async () => {
    const r = await runGateway(['start', '--log-levl', 'debug']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), "error GW_ERR_USAGE: unknown option '--log-levl' (did you mean --log-level?)");
  });

  test('check offers no log options, which would change nothing in its report', async () => {
    const help = await runGateway(['check', '--help']);
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, /--log-/);
    for (const option of ['--log-level', '--log-format']) {
      const r = await runGateway(['check', option, 'json']);
      assert.equal(r.code, 2, option);
      assert.match(r.stderr, new RegExp(`^error GW_ERR_USAGE: unknown option '${option}'`), option);
    }
  });

  test('an unknown command, a missing argument and a bad choice are GW_ERR_USAGE, exit 2', async () => {
    for (const args of [['chek'], ['keystore', 'list'], ['start', '--log-level', 'loud'], ['start', '--workers', 'many']]) {
      const r = await runGateway(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, USAGE, args.join(' '));
      assert.doesNotMatch(r.stderr, /^error: /m);
    }
  });

  test('no command shows the help and is a usage error', async () => {
    const r = await runGateway([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: gateway/m);
    assert.match(r.stderr, /^error GW_ERR_USAGE: a command is needed/m);
  });

  test('--help and --version exit 0', async () => {
    assert.equal((await runGateway(['--help'])).code, 0);
    const version = await runGateway(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version);
  });

  test('a missing configuration file is one coded line, without Node internals', async () => {
    const missing = `${ws.dir}/nope.xml`;
    const check = await runGateway(['check', '--config', missing]);
    assert.equal(check.code, 1);
    assert.equal(check.stdout.split('\n')[0], `error GW_ERR_FILE_READ: cannot read the configuration file "${missing}": no such file (check the path given with -c; a relative one is read from the working directory)`);
    assert.doesNotMatch(check.stdout + check.stderr, /ENOENT|errno|open '/);
    const start = await runGateway(['start', '--config', missing, '--log-format', 'text']);
    assert.equal(start.code, 1);
    assert.match(start.stdout + start.stderr, /GW_ERR_FILE_READ: cannot read the configuration file ".*nope\.xml": no such file/);
    // Text logs are a line per event, its fields on it, so that grep finds them together.
    assert.match(start.stdout, /^\[[-0-9 :.]+\] ERROR: .*no such file .*\{"code":"GW_ERR_FILE_READ"\}$/m);
    assert.doesNotMatch(start.stdout, /^\s+code:/m);
    // What a message quotes (here a file name; a client's certificate subject elsewhere) cannot begin a line.
    const forged = await runGateway(['start', '--config', `${missing}\n[2026-12-05 11:20:00.000] INFO: connection opened`, '--log-format', 'text']);
    assert.doesNotMatch(forged.stdout, /^\[2026-12-05 11:20:00\.000\] INFO/m);
    assert.match(forged.stdout, /nope\.xml\\n\[2026-12-05 11:20:00\.000\] INFO: connection opened/);
    assert.doesNotMatch(start.stdout + start.stderr, /ENOENT/);
  });

  test('a directory given as the configuration file says so', async () => {
    const r = await runGateway(['check', '--config', ws.dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /GW_ERR_FILE_READ: cannot read the configuration file ".*": it is a directory/);
  });

  test('a truncated file is reported where it ends, with the elements left open', async () => {
    const whole = readFileSync(repoPath('conf', 'gateway-config.xml'), 'utf8');
    const cut = whole.slice(0, whole.indexOf('</service>'));
    const file = ws.write('truncated.xml', cut);
    const lastLine = cut.trimEnd().split('\n').length;
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    const [first] = r.stdout.split('\n');
    assert.match(first ?? '', new RegExp(`truncated\\.xml:${lastLine}:\\d+: error GW_ERR_CONFIG_XML: Not well-formed XML: the file ends with these elements still open: <service> \\(opened at \\d+:3\\), <gateway-config> \\(opened at \\d+:1\\)`));
    assert.doesNotMatch(r.stdout, /Invalid '\[/);
  });

  test('an address in use names the accept that wanted it, where it is written, exit 3', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const file = ws.config(`
  <service>
    <name>echo</name>
    <accept>ws://127.0.0.1:${port}/echo</accept>
    <type>echo</type>
  </service>`, 'in-use.xml');
    const r = await runGateway(['start', '--config', file, '--log-format', 'json']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes('GW_ERR_BIND')) ?? '';
    const msg = (JSON.parse(line) as { msg: string }).msg;
    assert.equal(msg, `${file}:6:5: error GW_ERR_BIND: Unable to bind to resource: 127.0.0.1:${port} cause: Address already in use (wanted by ws://127.0.0.1:${port}/echo of service "echo")`);
  });

  test('two addresses in use are both named, each at its accept, before the gateway fails to launch, exit 3', async (t) => {
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      t.after(() => taken.close());
      ports.push((taken.address() as AddressInfo).port);
    }
    const service = (name: string, port: number | undefined): string => `
  <service>
    <name>${name}</name>
    <accept>ws://127.0.0.1:${port}/${name}</accept>
    <type>echo</type>
  </service>`;
    const file = ws.config(service('one', ports[0]) + service('two', ports[1]), 'two-in-use.xml');
    const r = await runGateway(['start', '--config', file, '--log-format', 'json']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const msgs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    const failed = msgs.indexOf('Gateway failed to launch');
    assert.deepEqual(msgs.slice(failed - 2, failed), [
      `${file}:6:5: error GW_ERR_BIND: Unable to bind to resource: 127.0.0.1:${ports[0]} cause: Address already in use (wanted by ws://127.0.0.1:${ports[0]}/one of service "one")`,
      `${file}:11:5: error GW_ERR_BIND: Unable to bind to resource: 127.0.0.1:${ports[1]} cause: Address already in use (wanted by ws://127.0.0.1:${ports[1]}/two of service "two")`,
    ]);
  });
});

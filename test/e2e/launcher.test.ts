/**
 * bin/gateway run as a program: its shell line sets glibc's allocator thresholds before it becomes Node (without
 * them a bulk relay can cost several times its CPU in page faults; docs/PERFORMANCE.md) and caps V8's young
 * generation in NODE_OPTIONS, and an operator's own GLIBC_TUNABLES and NODE_OPTIONS still win. Read from the
 * running process's initial environment (/proc, Linux only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess } from '../helpers/gateway-process.js';

const CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">
  <service>
    <name>echo</name>
    <accept>ws://127.0.0.1:0/echo</accept>
    <type>echo</type>
  </service>
</gateway-config>
`;

const OURS = ['glibc.malloc.trim_threshold=33554432', 'glibc.malloc.mmap_threshold=1048576'];
const skip = existsSync('/proc/self/environ') ? false : 'needs /proc (Linux)';

async function environOf(env: NodeJS.ProcessEnv): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-launcher-'));
  let gw: GatewayProcess | undefined;
  try {
    const config = join(dir, 'gateway-config.xml');
    writeFileSync(config, CONFIG);
    gw = await GatewayProcess.launch(['start', '--config', config], undefined, { program: true, env });
    // glibc may split the variable in place as it parses it: its settings are looked for in the raw bytes.
    return readFileSync(`/proc/${gw.pid}/environ`, 'latin1');
  } finally {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bin/gateway run as a program starts Node with the allocator thresholds set', { skip }, async () => {
  const environ = await environOf({ GLIBC_TUNABLES: undefined });
  for (const setting of OURS) assert.ok(environ.includes(setting), `${setting} in the gateway's environment`);
});

test("an operator's GLIBC_TUNABLES comes after the gateway's thresholds, so that it wins", { skip }, async () => {
  const environ = await environOf({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' });
  const theirs = environ.indexOf('glibc.malloc.trim_threshold=131072');
  assert.ok(theirs >= 0, "the operator's setting is kept");
  for (const setting of OURS) assert.ok(environ.indexOf(setting) >= 0 && environ.indexOf(setting) < theirs, `${setting} before the operator's`);
});

const SEMI_SPACE = '--max-semi-space-size=4';

/** The value of `name` in a NUL-separated environment block. */
function variable(environ: string, name: string): string | undefined {
  return environ
    .split('\0')
    .find((entry) => entry.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

test("bin/gateway caps V8's young generation, and an operator's NODE_OPTIONS comes after it, so that it wins", { skip }, async () => {
  assert.equal(variable(await environOf({ NODE_OPTIONS: undefined }), 'NODE_OPTIONS'), SEMI_SPACE);
  const theirs = '--max-semi-space-size=16 --max-old-space-size=512';
  assert.equal(variable(await environOf({ NODE_OPTIONS: theirs }), 'NODE_OPTIONS'), `${SEMI_SPACE} ${theirs}`);
});

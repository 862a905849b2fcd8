/**
 * bin/gateway run as a program: its shell line sets glibc's allocator thresholds before it becomes Node (without
 * them a bulk relay can cost several times its CPU in page faults; docs/PERFORMANCE.md), caps V8's young
 * generation and gives Node bin/openssl.cnf in NODE_OPTIONS, and an operator's own GLIBC_TUNABLES, NODE_OPTIONS and
 * OPENSSL_CONF still win. Read from the running process's initial environment (/proc, Linux only), and for the
 * OpenSSL settings, from what a TLS client is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { event } from '../helpers/deadline.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { repoPath } from '../helpers/paths.js';
import { freePorts } from '../helpers/tcp-servers.js';

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

const OPENSSL = `--openssl-config="${realpathSync(repoPath('bin', 'openssl.cnf'))}"`;

test("bin/gateway caps V8's young generation and names its OpenSSL settings, and an operator's NODE_OPTIONS comes after them, so that it wins", { skip }, async () => {
  assert.equal(variable(await environOf({ NODE_OPTIONS: undefined, OPENSSL_CONF: undefined }), 'NODE_OPTIONS'), `${SEMI_SPACE} ${OPENSSL}`);
  const theirs = '--max-semi-space-size=16 --max-old-space-size=512';
  assert.equal(variable(await environOf({ NODE_OPTIONS: theirs, OPENSSL_CONF: undefined }), 'NODE_OPTIONS'), `${SEMI_SPACE} ${OPENSSL} ${theirs}`);
});

test("an operator's OPENSSL_CONF, --openssl-config or --openssl-shared-config is left to Node: bin/gateway then names no OpenSSL settings of its own", { skip }, async () => {
  const environ = await environOf({ NODE_OPTIONS: undefined, OPENSSL_CONF: '' });
  assert.equal(variable(environ, 'NODE_OPTIONS'), SEMI_SPACE);
  assert.equal(variable(environ, 'OPENSSL_CONF'), '');
  for (const theirs of ['--openssl-shared-config', `--openssl-config=${realpathSync(repoPath('bin', 'openssl.cnf'))}`]) {
    assert.equal(variable(await environOf({ NODE_OPTIONS: theirs, OPENSSL_CONF: undefined }), 'NODE_OPTIONS'), `${SEMI_SPACE} ${theirs}`);
  }
});

/** The TLS 1.3 session tickets a client with the development certificate is sent before the 101 of its upgrade. */
async function ticketsBeforeUpgrade(program: boolean): Promise<number> {
  const [plain = 0, secure = 0] = await freePorts(2);
  const args = ['start', '-D', `gateway.port=${plain}`, '-D', `gateway.secure.port=${secure}`];
  const gw = await GatewayProcess.launch(args, undefined, { program, env: { OPENSSL_CONF: undefined, NODE_OPTIONS: undefined } });
  const pki = (f: string) => readFileSync(repoPath('conf', 'dev-pki', f));
  const socket = connect({ host: '127.0.0.1', port: secure, servername: 'localhost', ca: pki('ca.pem'), cert: pki('client.pem'), key: pki('client.key'), minVersion: 'TLSv1.3' });
  try {
    let tickets = 0;
    socket.on('session', () => tickets++);
    await event(socket, 'secureConnect', 'the TLS handshake');
    // A server sends its tickets right after the client's Finished, before it reads anything: all of them come
    // before the answer to the upgrade.
    socket.write('GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const [answer] = await event<[Buffer]>(socket, 'data', 'the answer to the upgrade');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 101 /);
    return tickets;
  } finally {
    socket.destroy();
    await gw.stop();
  }
}

test('run as a program, the gateway sends one TLS 1.3 session ticket per full handshake; Node alone sends two', async () => {
  assert.equal(await ticketsBeforeUpgrade(true), 1);
  assert.equal(await ticketsBeforeUpgrade(false), 2);
});

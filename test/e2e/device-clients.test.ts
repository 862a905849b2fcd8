/**
 * Devices whose TLS is not Node's, through a wss:// proxy in front of a TCP backend, the gateway started by its
 * launcher (`bin/gateway`, one session ticket per full handshake):
 * - Python's standard library and `openssl s_client`, both on the system's OpenSSL, present a client certificate,
 *   visit twice and offer their first session on the second: the gateway resumes it and still tells who the client is;
 * - the JDK (JSSE and its HttpClient WebSocket) with keytool-readable stores, against a gateway that serves a
 *   Kaazing deployment's JCEKS keystore and JKS truststore.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mtlsProxyService, PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';
import { GatewayProcess, type LogLine } from '../helpers/gateway-process.js';
import { repoPath } from '../helpers/paths.js';
import { testPki } from '../helpers/pki.js';
import { tcpEcho, type Backend } from '../helpers/tcp-servers.js';

const ACCEPT = 'wss://127.0.0.1:0/device';
const PYTHON = '/usr/bin/python3';
const HAS_PYTHON = existsSync(PYTHON);
const HAS_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const HAS_JAVA = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
const STORES = repoPath('test/fixtures/stores');

/**
 * What a client without a certificate reports. OpenSSL ends the handshake with the certificate_required alert, but
 * a client that writes its upgrade request at once may find the connection reset before it reads the alert: the
 * gateway's log, not the client's words, says why it was refused.
 */
const CLOSED_WITHOUT_CERTIFICATE = /certificate.required|reset|broken pipe|EOF|closed/i;

/** The gateway's log lines for clients refused for presenting no certificate (a burst is summed up in one). */
function noCertificateRefusals(gw: GatewayProcess): LogLine[] {
  return gw.lines.filter((l) => l.msg === 'client certificate refused: no client certificate sent');
}

interface Visit {
  readonly status?: string;
  readonly echo?: string;
  readonly echoOpcode?: number;
  readonly sent?: string;
  readonly close?: number | null;
  readonly version?: string;
  readonly reused?: boolean;
  readonly error?: string;
}

/** Runs a program to its end, with a deadline, and gives its exit code and output. */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return withDeadline(done, 2 * WAIT_MS, `${command} to finish`).finally(() => child.kill('SIGKILL'));
}

/** A masked client frame; the payloads here are under 126 bytes. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

/**
 * One visit with `openssl s_client`: the upgrade, a text message, its echo, a close. Each is written only once the
 * answer to the one before has come, so the output is the same on every run. `sessionOut` is where s_client keeps
 * the session the gateway gives it, `sessionIn` the one it offers.
 */
async function opensslVisit(port: number, dir: string, session: { in?: string; out?: string }): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'ca.pem'), '-cert', join(dir, 'client.pem'), '-key', join(dir, 'client.key'), '-ign_eof'];
  if (session.out) args.push('-sess_out', session.out);
  if (session.in) args.push('-sess_in', session.in);
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const seen = (text: string): Promise<void> =>
    withDeadline(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (output.includes(text)) resolve();
          else if (child.exitCode !== null) reject(new Error(`s_client exited first; stderr:\n${stderr}`));
          else waiters.push(check);
        };
        child.on('close', check);
        check();
      }),
      WAIT_MS,
      `s_client to print ${JSON.stringify(text)}; it printed:\n${output}`,
    );
  try {
    child.stdin.write(`GET /device HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await seen('HTTP/1.1 101 Switching Protocols');
    child.stdin.write(maskedFrame(0x1, Buffer.from('from openssl s_client')));
    await seen('from openssl s_client');
    child.stdin.write(maskedFrame(0x8, Buffer.from([0x03, 0xe8])));
    // The gateway answers the close and ends the connection; s_client (-ign_eof) exits when it does.
    await withDeadline(exited, WAIT_MS, 's_client to exit once the gateway closed');
    return output;
  } finally {
    child.kill('SIGKILL');
  }
}

describe('devices on the system OpenSSL, through bin/gateway', { skip: HAS_PYTHON || HAS_OPENSSL ? false : 'neither /usr/bin/python3 nor openssl is installed' }, () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let backend: Backend;
  const pki = testPki();

  before(async () => {
    backend = await tcpEcho();
    space = workspace();
    space.write('client.pem', pki.client.cert);
    space.write('client.key', pki.client.key);
    const config = space.config(mtlsProxyService('devices', ACCEPT, `tcp://127.0.0.1:${backend.port}`) + PEM_SECURITY);
    gw = await GatewayProcess.launch(['start', '--config', config], undefined, { program: true });
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    space?.cleanup();
  });

  /** The `open` log lines of the devices service, in order. */
  const opened = (): LogLine[] => gw.lines.filter((l) => l['event'] === 'open' && l['accept'] === ACCEPT);

  test('Python: a full handshake, then the session resumed; both reach the backend as device-1', { skip: HAS_PYTHON ? false : `${PYTHON} is not installed` }, async () => {
    const before = opened().length;
    const { code, stdout, stderr } = await run(PYTHON, [repoPath('test/fixtures/python/device_client.py'), String(gw.port(ACCEPT)), '/device', join(space.dir, 'ca.pem'), join(space.dir, 'client.pem'), join(space.dir, 'client.key')]);
    assert.equal(code, 0, stderr);
    const visits = stdout.trim().split('\n').map((l) => JSON.parse(l) as Visit);
    assert.equal(visits.length, 2, stdout);
    for (const v of visits) {
      assert.equal(v.error, undefined, `the visit failed: ${v.error}`);
      assert.equal(v.status, 'HTTP/1.1 101 Switching Protocols');
      assert.equal(v.echo, v.sent, 'the TCP backend echoed the message');
      assert.equal(v.echoOpcode, 0x2, "a TCP backend's bytes come as binary messages");
      assert.equal(v.close, 1000);
      assert.equal(v.version, 'TLSv1.3');
    }
    assert.deepEqual(visits.map((v) => v.reused), [false, true], 'the second visit resumed the first session');
    await gw.waitFor(() => opened().length >= before + 2);
    assert.deepEqual(opened().slice(before).map((l) => l['resumed']), [false, true], 'the open lines say which visit resumed');
    for (const line of opened().slice(before)) {
      assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
      assert.equal(line['fingerprint'], pki.client.x509.fingerprint256);
      assert.equal(line['verified'], true);
    }
  });

  test('Python: a device without a certificate is refused, on its first visit and on its second', { skip: HAS_PYTHON ? false : `${PYTHON} is not installed` }, async () => {
    const before = noCertificateRefusals(gw).length;
    const { code, stdout, stderr } = await run(PYTHON, [repoPath('test/fixtures/python/device_client.py'), String(gw.port(ACCEPT)), '/device', join(space.dir, 'ca.pem')]);
    assert.equal(code, 0, stderr);
    const visits = stdout.trim().split('\n').map((l) => JSON.parse(l) as Visit);
    assert.equal(visits.length, 2, stdout);
    for (const v of visits) {
      assert.equal(v.status, undefined, 'no upgrade was answered');
      assert.match(v.error ?? '', CLOSED_WITHOUT_CERTIFICATE);
    }
    await gw.waitFor(() => noCertificateRefusals(gw).length > before);
  });

  test('openssl s_client: a full handshake, then the session resumed, each through to the backend', { skip: HAS_OPENSSL ? false : 'openssl is not installed' }, async () => {
    const sessionFile = join(space.dir, 's_client.session');
    const first = await opensslVisit(gw.port(ACCEPT), space.dir, { out: sessionFile });
    assert.match(first, /^New, TLSv1\.3/m);
    assert.ok(readFileSync(sessionFile, 'utf8').includes('BEGIN SSL SESSION PARAMETERS'), 's_client kept the session it was given');
    const second = await opensslVisit(gw.port(ACCEPT), space.dir, { in: sessionFile });
    assert.match(second, /^Reused, TLSv1\.3/m);
  });
});

describe("a JDK device with keytool-readable stores, against a Kaazing deployment's JCEKS and JKS", { skip: HAS_JAVA ? false : 'java is not installed' }, () => {
  const ACCEPT_JDK = 'wss://localhost:0/devices';
  let space: Workspace;
  let gw: GatewayProcess;
  let backend: Backend;

  before(async () => {
    backend = await tcpEcho();
    space = workspace();
    const copies: Array<[string, string]> = [['gateway.jceks', 'keystore.db'], ['truststore.jks', 'truststore.db'], ['device-1.p12', 'device-1.p12']];
    for (const [from, to] of copies) {
      copyFileSync(join(STORES, from), join(space.dir, to));
    }
    space.write('keystore.pw', 'jceks-pass\n');
    const config = space.config(`${mtlsProxyService('devices', ACCEPT_JDK, `tcp://127.0.0.1:${backend.port}`)}
  <security>
    <keystore><type>JCEKS</type><file>keystore.db</file><password-file>keystore.pw</password-file></keystore>
    <truststore><file>truststore.db</file></truststore>
  </security>`);
    gw = await GatewayProcess.launch(['start', '--config', config], undefined, { program: true });
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    space?.cleanup();
  });

  const javaVisit = async (keystore: string, password: string): Promise<{ sent?: string; echo?: string; close?: number; error?: string }> => {
    const url = `wss://localhost:${gw.port(ACCEPT_JDK)}/devices`;
    const { code, stdout, stderr } = await run('java', [repoPath('test/fixtures/java/DeviceClient.java'), url, keystore === '-' ? '-' : join(space.dir, keystore), password, join(space.dir, 'truststore.db'), 'changeit']);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout.trim()) as { sent?: string; echo?: string; close?: number; error?: string };
  };

  test('device-1 (an OpenSSL-made PKCS12) reaches the TCP backend and back, and is logged as device-1', async () => {
    const visit = await javaVisit('device-1.p12', 'changeit');
    assert.equal(visit.error, undefined, `the JDK client failed: ${visit.error}`);
    assert.equal(visit.echo, `binary:${visit.sent}`, "the backend's bytes come back as a binary message");
    assert.equal(visit.close, 1000);
    const line = await gw.waitFor((l) => l['event'] === 'close' && l['service'] === 'devices');
    assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
  });

  test('a JDK device without a certificate is refused in the handshake', async () => {
    const before = noCertificateRefusals(gw).length;
    const visit = await javaVisit('-', '');
    assert.match(visit.error ?? '', CLOSED_WITHOUT_CERTIFICATE, 'the JDK client was let in, or failed otherwise');
    await gw.waitFor(() => noCertificateRefusals(gw).length > before);
  });
});

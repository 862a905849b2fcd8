import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from '../helpers/e2e-setup.js';
import { runGateway } from '../helpers/gateway-process.js';
import { repoPath } from '../helpers/paths.js';

/** Runs `fn` with a directory of its own, removed afterwards. */
function inWorkspace(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const space = workspace();
    try {
      await fn(space.dir);
    } finally {
      space.cleanup();
    }
  };
}

for (const [flag, type] of [[[], 'rsa'], [['--key-type', 'ec'], 'ec']] as const) {
  test(`dev-pki ${flag.join(' ') || '(default)'} makes a chain of ${type} keys for the host names asked for`, inWorkspace(async (dir) => {
    const pki = join(dir, 'pki');
    const r = await runGateway(['dev-pki', '--dir', pki, '--host', 'gw.example', ...flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Created a development PKI in .*, ${type === 'ec' ? 'EC P-256' : 'RSA'} keys`));
    const ca = new X509Certificate(readFileSync(join(pki, 'ca.pem')));
    // server.pem is the keystore: the server's key, its certificate and the CA.
    const serverPem = readFileSync(join(pki, 'server.pem'), 'utf8');
    const server = new X509Certificate(serverPem.slice(serverPem.indexOf('-----BEGIN CERTIFICATE-----')));
    const client = new X509Certificate(readFileSync(join(pki, 'client.pem')));
    for (const leaf of [server, client]) assert.ok(leaf.verify(ca.publicKey));
    assert.equal(server.subjectAltName, 'DNS:gw.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    for (const file of ['ca.key', 'client.key']) assert.equal(createPrivateKey(readFileSync(join(pki, file))).asymmetricKeyType, type);
    assert.equal(createPrivateKey(serverPem).asymmetricKeyType, type);
  }));
}

test('dev-pki refuses a key type it does not make', inWorkspace(async (dir) => {
  const r = await runGateway(['dev-pki', '--dir', join(dir, 'pki'), '--key-type', 'dsa']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--key-type.*dsa|dsa.*--key-type/);
}));

test('dev-pki keeps a PKI already there, and says so when it has keys of another type than asked', inWorkspace(async (dir) => {
  const pki = join(dir, 'pki');
  assert.equal((await runGateway(['dev-pki', '--dir', pki])).code, 0);
  const ca = readFileSync(join(pki, 'ca.pem'), 'utf8');
  const again = await runGateway(['dev-pki', '--dir', pki]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /A development PKI already exists in .*, RSA keys/);
  const other = await runGateway(['dev-pki', '--dir', pki, '--key-type', 'ec']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /GW_ERR_USAGE: .*pki already holds a development PKI with rsa keys; remove the folder to make one with ec keys/);
  assert.equal(readFileSync(join(pki, 'ca.pem'), 'utf8'), ca);
}));

test('dev-pki writes an IP address SAN for an address, v4 or v6, and refuses a host that is no DNS name', inWorkspace(async (dir) => {
  const pki = join(dir, 'pki');
  const r = await runGateway(['dev-pki', '--dir', pki, '--host', '192.168.1.10', '--host', 'fd00::10', '--host', '*.gw.example']);
  assert.equal(r.code, 0, r.stderr);
  const serverPem = readFileSync(join(pki, 'server.pem'), 'utf8');
  const server = new X509Certificate(serverPem.slice(serverPem.indexOf('-----BEGIN CERTIFICATE-----')));
  assert.equal(server.subjectAltName, 'IP Address:192.168.1.10, IP Address:FD00:0:0:0:0:0:0:10, DNS:*.gw.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(server.checkIP('192.168.1.10'), '192.168.1.10');
  for (const [host, message] of [
    ['bad host!', '--host "bad host!" is neither a DNS name nor an IP address'],
    ['', '--host is empty: it must be a host name or an IP address'],
  ] as const) {
    const bad = await runGateway(['dev-pki', '--dir', join(dir, 'refused'), '--host', host]);
    assert.equal(bad.code, 2, host);
    assert.match(bad.stderr, new RegExp(`^error GW_ERR_USAGE: ${message.replace(/[.*"!]/g, '\\$&')}`));
  }
}));

test('dev-pki names --dir when it cannot write there: a file in the way is GW_ERR_FILE_WRITE, exit 1', inWorkspace(async (dir) => {
  const file = join(dir, 'afile');
  writeFileSync(file, '');
  for (const target of [file, join(file, 'pki')]) {
    const r = await runGateway(['dev-pki', '--dir', target]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim(), `error GW_ERR_FILE_WRITE: --dir ${target}: cannot write the development PKI there: a file is in the way where a folder is needed`);
  }
}));

test('dev-pki refuses a PKI with a file missing or unreadable, rather than make a new CA over it', inWorkspace(async (dir) => {
  const pki = join(dir, 'pki');
  assert.equal((await runGateway(['dev-pki', '--dir', pki])).code, 0);
  const caKey = readFileSync(join(pki, 'ca.key'), 'utf8');
  rmSync(join(pki, 'client.key'));
  const missing = await runGateway(['dev-pki', '--dir', pki]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /^error GW_ERR_FILE_READ: --dir .*pki holds part of a development PKI, which is kept: client\.key is missing \(restore the files, or remove the folder to make a new PKI/);
  assert.equal(readFileSync(join(pki, 'ca.key'), 'utf8'), caKey);
  writeFileSync(join(pki, 'client.key'), caKey);
  writeFileSync(join(pki, 'ca.pem'), 'not a certificate\n');
  const junk = await runGateway(['dev-pki', '--dir', pki]);
  assert.equal(junk.code, 1, junk.stderr);
  assert.match(junk.stderr, /which is kept: ca\.pem is not a certificate/);
  assert.equal(readFileSync(join(pki, 'ca.key'), 'utf8'), caKey);
}));

test('dev-pki writes by default to the folder start reads, wherever it is run from, and --help says so', async () => {
  const help = await runGateway(['dev-pki', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, new RegExp(`--dir <dir> +where to write them; by default the folder start reads\\s+\\(default:\\s+"${repoPath('conf', 'dev-pki').replace(/[/.\\]/g, '\\$&')}"\\)`));
});

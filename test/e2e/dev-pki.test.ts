import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from '../helpers/e2e-setup.js';
import { runGateway } from '../helpers/gateway-process.js';

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

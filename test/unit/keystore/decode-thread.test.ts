import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeOffThread } from '../../../src/keystore/decode-thread.js';
import { loadStoreFile, readStore } from '../../../src/keystore/index.js';
import type { StoreContents } from '../../../src/keystore/types.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { storeBytes, storePath } from '../../helpers/keytool.js';

const dir = mkdtempSync(join(tmpdir(), 'decode-thread-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function passwordFile(name: string, password: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${password}\n`);
  return file;
}

/** What a store holds, as comparable values: aliases, certificates' DER, keys' PKCS#8 DER, secrets and warnings. */
function summary(contents: StoreContents): unknown {
  return {
    format: contents.format,
    keys: contents.keys.map((k) => ({ alias: k.alias, key: k.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'), chain: k.chain.map((c) => c.raw.toString('hex')) })),
    trusted: contents.trusted.map((t) => ({ alias: t.alias, der: t.certificate.raw.toString('hex') })),
    secrets: contents.secrets,
    warnings: contents.warnings,
  };
}

const decode = (...stores: Parameters<typeof decodeOffThread>[0]) => withDeadline(decodeOffThread(stores), WAIT_MS, 'the stores decoded on a thread');

test('a JCEKS and a PKCS12 store decoded on a thread hold what they hold read here, and are handed out only for the same bytes, type and password', async () => {
  const jceks = { file: storePath('gateway.jceks'), passwordFile: passwordFile('jceks.pw', 'jceks-pass') };
  const p12 = { file: storePath('keystore-jdk.p12'), type: 'PKCS12', passwordFile: passwordFile('p12.pw', 'changeit') };
  const decoded = await decode(jceks, p12);
  assert.equal(decoded.size, 2);

  const jceksOptions = { fileName: jceks.file, type: undefined, password: 'jceks-pass' };
  const fromThread = decoded.find(storeBytes('gateway.jceks'), jceksOptions);
  assert.ok(fromThread);
  assert.equal(fromThread.keys.length, 3);
  assert.deepEqual(summary(fromThread), summary(readStore(storeBytes('gateway.jceks'), jceksOptions)));
  const p12Options = { fileName: p12.file, type: 'PKCS12', password: 'changeit' };
  assert.deepEqual(summary(decoded.find(storeBytes('keystore-jdk.p12'), p12Options) as StoreContents), summary(readStore(storeBytes('keystore-jdk.p12'), p12Options)));

  const changed = Buffer.from(storeBytes('gateway.jceks'));
  changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);
  assert.equal(decoded.find(changed, jceksOptions), undefined, 'other bytes');
  assert.equal(decoded.find(storeBytes('gateway.jceks'), { ...jceksOptions, password: 'other' }), undefined, 'another password');
  assert.equal(decoded.find(storeBytes('gateway.jceks'), { ...jceksOptions, type: 'JCEKS' }), undefined, 'another declared type');
  assert.equal(decoded.find(storeBytes('gateway.jceks'), { ...jceksOptions, fileName: 'elsewhere.jceks' }), undefined, 'another file');

  // loadStoreFile takes the decoded store: the same contents, without deriving its keys again.
  const loaded = loadStoreFile({ ...jceks, role: 'keystore', decoded });
  assert.equal(loaded, fromThread);
});

test('the event loop turns while the thread decodes', async () => {
  let turns = 0;
  let decoding = true;
  const turn = (): void => {
    turns++;
    if (decoding) setImmediate(turn);
  };
  setImmediate(turn);
  const decoded = await decode({ file: storePath('gateway.jceks'), passwordFile: passwordFile('turns.pw', 'jceks-pass') });
  decoding = false;
  assert.equal(decoded.size, 1);
  // Decoded where it was asked for, the three keys' 1.2 million MD5 rounds would leave no turn before the answer.
  assert.ok(turns > 0, 'no turn of the event loop while the store was decoded');
});

test('a store that does not decode is left to be read where it is used, with its own error', async () => {
  const wrong = { file: storePath('gateway.jceks'), passwordFile: passwordFile('wrong.pw', 'not-the-password') };
  const decoded = await decode(wrong);
  assert.equal(decoded.size, 0);
  assert.throws(() => loadStoreFile({ ...wrong, role: 'keystore', decoded }), (e: Error & { code?: string }) => e.code === 'GW_ERR_STORE_PASSWORD');
});

test('stores that open quickly, have no password file or cannot be read are not given to a thread', async () => {
  const decoded = await decode(
    { file: storePath('ca-bundle.pem') },
    { file: storePath('truststore.jks'), passwordFile: passwordFile('jks.pw', 'changeit') },
    { file: storePath('gateway.jceks') },
    { file: join(dir, 'missing.jceks'), passwordFile: passwordFile('missing.pw', 'x') },
    { file: storePath('gateway.jceks'), passwordFile: join(dir, 'missing.pw.txt') },
  );
  assert.equal(decoded.size, 0);
});

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadStoreFile, readPasswordFile, readStore, detectFormat } from '../../../src/keystore/index.js';
import { readJavaKeyStore } from '../../../src/keystore/jks.js';
import { readPkcs12 } from '../../../src/keystore/pkcs12.js';
import { readPem } from '../../../src/keystore/pem.js';
import { ERROR_CODES, GatewayError } from '../../../src/errors.js';
import { storeBytes, storePath } from '../../helpers/keytool.js';

const dir = mkdtempSync(join(tmpdir(), 'keystore-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('readStore dispatches on the detected format', () => {
  assert.equal(readStore(storeBytes('truststore.jks'), { fileName: 'truststore.db', password: 'changeit' }).format, 'JKS');
  assert.equal(readStore(storeBytes('keystore-openssl.p12'), { fileName: 'k', password: 'changeit', type: 'pkcs12' }).keys.length, 1);
  assert.equal(readStore(storeBytes('ca-bundle.pem'), { fileName: 'ca.pem' }).trusted.length, 2);
  assert.equal(detectFormat(storeBytes('truststore.jks'), 'x'), 'JKS');
});

test('readPasswordFile takes the first line without its CR/LF or a byte-order mark', () => {
  const cases: [string, string][] = [['pw\n', 'pw'], ['pw\r\nsecond\n', 'pw'], ['pw', 'pw'], ['\uFEFFpw\r', 'pw'], ['', ''], [' spaced pw \n', ' spaced pw ']];
  cases.forEach(([content, expected], i) => {
    const f = join(dir, `pw-${i}`);
    writeFileSync(f, content);
    assert.equal(readPasswordFile(f), expected);
  });
  assert.throws(() => readPasswordFile(join(dir, 'missing.pw')), (e: GatewayError) =>
    e.code === 'GW_ERR_FILE_READ' && e.message.includes('missing.pw') && /no such file/.test(e.message));
});

test('loadStoreFile: password file, role rules, and errors naming the file as given', () => {
  const pw = join(dir, 'keystore.pw');
  writeFileSync(pw, 'changeit\n');
  const ks = loadStoreFile({ file: storePath('keystore.jks'), passwordFile: pw, role: 'keystore' });
  assert.equal(ks.keys.length, 3);
  assert.deepEqual(ks.warnings, []);

  const ts = loadStoreFile({ file: storePath('truststore.jks'), role: 'truststore' });
  assert.equal(ts.trusted.length, 2);
  assert.match(ts.warnings[0]!, /without its integrity check/);

  assert.throws(() => loadStoreFile({ file: storePath('keystore.jks'), role: 'keystore' }), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_PASSWORD' && e.message.includes('keystore.jks'));
  // A PEM keystore with a plain key needs no password.
  assert.equal(loadStoreFile({ file: storePath('localhost.pem'), role: 'keystore' }).keys.length, 1);
  assert.throws(() => loadStoreFile({ file: 'conf/nope.jks', password: 'x', role: 'keystore' }), (e: GatewayError) =>
    e.code === 'GW_ERR_FILE_READ' && e.message.includes('conf/nope.jks'));
  assert.throws(() => loadStoreFile({ file: storePath('keystore.jks'), password: 'x', type: 'JCEKS', role: 'keystore' }),
    { code: 'GW_ERR_STORE_PASSWORD' });
  // A wrong password from a file names the file, in the keystore and in the truststore.
  const wrong = join(dir, 'wrong.pw');
  writeFileSync(wrong, 'not-changeit\n');
  for (const [file, role] of [['keystore.jks', 'keystore'], ['truststore-jdk.p12', 'truststore']] as const) {
    assert.throws(() => loadStoreFile({ file: storePath(file), passwordFile: wrong, role }), (e: GatewayError) =>
      e.code === 'GW_ERR_STORE_PASSWORD' && e.message.includes(file) && e.hint === `the password is the first line of ${wrong}`);
  }
  assert.throws(() => loadStoreFile({ file: storePath('gateway.jceks'), password: 'jceks-pass', type: 'JKS', role: 'keystore' }),
    { code: 'GW_ERR_STORE_FORMAT' });
});

test('a password file whose line has white space around the password says whether that space is the trouble', () => {
  // The space is part of the password, as in Kaazing: the store is not opened with it dropped.
  const spaced = join(dir, 'spaced.pw');
  writeFileSync(spaced, 'changeit \n');
  assert.throws(() => loadStoreFile({ file: storePath('keystore.jks'), passwordFile: spaced, role: 'keystore' }), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_PASSWORD' && e.hint === `the password is the first line of ${spaced}, which begins or ends with white space that is part of the password: without it, the store opens; remove it from the file`);
  const wrongAndSpaced = join(dir, 'wrong-spaced.pw');
  writeFileSync(wrongAndSpaced, ' not-changeit\n');
  assert.throws(() => loadStoreFile({ file: storePath('keystore.jks'), passwordFile: wrongAndSpaced, role: 'keystore' }), (e: GatewayError) =>
    e.code === 'GW_ERR_STORE_PASSWORD' && e.hint === `the password is the first line of ${wrongAndSpaced}, which begins or ends with white space, part of the password as written`);
});

test('an empty password file, or one whose first line is empty, says so', () => {
  for (const [name, text] of [['empty.pw', ''], ['blank-line.pw', '\nchangeit\n']] as const) {
    const file = join(dir, name);
    writeFileSync(file, text);
    assert.throws(() => loadStoreFile({ file: storePath('keystore.jks'), passwordFile: file, role: 'keystore' }), (e: GatewayError) =>
      e.code === 'GW_ERR_STORE_PASSWORD' && e.hint === `the password is the first line of ${file}, which is empty: write the password on the file's first line`);
  }
});

// ── Mutations of real stores: only GatewayErrors with a catalogued code that name the file may come out ──────

type Reader = (b: Uint8Array, fileName: string) => unknown;

const subjects: { name: string; read: Reader }[] = [
  { name: 'keystore.jks', read: (b, f) => readJavaKeyStore(b, 'changeit', f) },
  { name: 'keystore.jks (no password)', read: (b, f) => readJavaKeyStore(b, undefined, f) },
  { name: 'gateway.jceks (no password)', read: (b, f) => readJavaKeyStore(b, undefined, f) },
  { name: 'keystore-legacy.p12', read: (b, f) => readPkcs12(b, 'changeit', f) },
  { name: 'truststore-openssl.p12', read: (b, f) => readPkcs12(b, 'changeit', f) },
  { name: 'localhost.pem', read: (b, f) => readPem(b, undefined, f) },
  { name: 'keystore-jdk.p12', read: (b, f) => readStore(b, { fileName: f, password: 'changeit' }) },
];

function fixtureOf(subject: string): Buffer {
  return storeBytes(subject.split(' ')[0]!);
}

function assertOnlyGatewayErrors(read: Reader, bytes: Uint8Array): void {
  try {
    read(bytes, 'mutated-store');
  } catch (e) {
    assert.ok(e instanceof GatewayError, `not a GatewayError: ${String((e as Error)?.stack ?? e)}`);
    assert.ok(e.code in ERROR_CODES);
    assert.ok(e.message.includes('mutated-store'), e.message);
  }
}

const mutation = (size: number) => fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: size - 1 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: size - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.integer({ min: 0, max: size - 4 }),
    value: fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 0x00ffffff, 0x0000ffff) }),
);

function apply(b: Buffer, m: { kind: 'truncate' | 'flip' | 'huge'; at: number; bit?: number; value?: number }): Buffer {
  if (m.kind === 'truncate') return b.subarray(0, m.at);
  const c = Buffer.from(b);
  if (m.kind === 'flip') c[m.at] = c[m.at]! ^ (1 << m.bit!);
  else c.writeUInt32BE(m.value!, m.at);
  return c;
}

for (const s of subjects) {
  test(`mutated ${s.name}: truncation, flipped bits and huge lengths give only coded GatewayErrors`, () => {
    const original = fixtureOf(s.name);
    fc.assert(fc.property(mutation(original.length), (m) => assertOnlyGatewayErrors(s.read, apply(original, m))), { numRuns: 150 });
  });
}

test('mutated stores through readStore, including the format detection, give only coded GatewayErrors', () => {
  const names = ['truststore.jks', 'truststore-jdk.p12', 'ca-bundle.pem', 'device-1.p12'];
  fc.assert(fc.property(fc.constantFrom(...names), fc.integer({ min: 0, max: 1 << 30 }), fc.uint8Array({ minLength: 1, maxLength: 8 }),
    (name, pos, junk) => {
      const b = Buffer.from(storeBytes(name));
      const at = pos % b.length;
      b.set(junk.subarray(0, b.length - at), at);
      assertOnlyGatewayErrors((x, f) => readStore(x, { fileName: f, password: 'changeit' }), b);
    }), { numRuns: 200 });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../../src/errors.js';
import { loadCrls } from '../../../src/tls/crl.js';
import { makeCrl } from '../../helpers/crl.js';
import { issueEc } from '../../helpers/ec-cert.js';
import { issue, testPki } from '../../helpers/pki.js';

const DAY = 86_400_000;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.code, 'GW_ERR_TLS_CRL');
    assert.match(e.message, message);
    return true;
  });
}

test('a PEM file with one CRL: issuer, validity, revoked count; its PEM is passed on as read', () => {
  const { ca, client, client2 } = testPki();
  const thisUpdate = new Date(Date.UTC(2030, 0, 1));
  const nextUpdate = new Date(Date.UTC(2030, 0, 8));
  const crl = makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }, { serial: client2.x509.serialNumber }], thisUpdate, nextUpdate });
  withDir((dir) => {
    const file = join(dir, 'ca.crl.pem');
    writeFileSync(file, crl.pem);
    const loaded = loadCrls(file, { now: new Date(Date.UTC(2030, 0, 2)) });
    assert.deepEqual(loaded.summary, [{ issuer: 'CN=Test Root CA, O=Acme', thisUpdate: '2030-01-01T00:00:00.000Z', nextUpdate: '2030-01-08T00:00:00.000Z', revoked: 2, number: '1', file }]);
    assert.deepEqual(loaded.pems, [crl.pem]);
    assert.deepEqual(loaded.warnings, []);
  });
});

test('a DER file is read and converted to PEM; a PEM bundle gives one PEM per CRL', () => {
  const { ca, otherCa, client } = testPki();
  const a = makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }] });
  const b = makeCrl(otherCa);
  withDir((dir) => {
    writeFileSync(join(dir, 'ca.crl'), a.der);
    const der = loadCrls(join(dir, 'ca.crl'));
    assert.deepEqual(der.pems, [a.pem]);
    assert.equal(der.summary[0]?.revoked, 1);
    writeFileSync(join(dir, 'bundle.pem'), `Certificate Revocation List\n${a.pem}\n${b.pem.replace(/\n/g, '\r\n')}`);
    const bundle = loadCrls(join(dir, 'bundle.pem'));
    assert.deepEqual(bundle.pems, [a.pem, b.pem]);
    assert.deepEqual(bundle.summary.map((s) => s.issuer), ['CN=Test Root CA, O=Acme', 'CN=Other CA, O=Evil']);
  });
});

test('a directory: every file that is not hidden, in name order, not recursing', () => {
  const { ca, otherCa } = testPki();
  withDir((dir) => {
    writeFileSync(join(dir, 'b-other.crl'), makeCrl(otherCa).der);
    writeFileSync(join(dir, 'a-root.pem'), makeCrl(ca).pem);
    writeFileSync(join(dir, '.hidden'), 'not a CRL');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'garbage'), 'not a CRL either');
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    const loaded = loadCrls(dir);
    assert.deepEqual(
      loaded.summary.map((s) => [s.issuer, s.file]),
      [
        ['CN=Test Root CA, O=Acme', join(dir, 'a-root.pem')],
        ['CN=Other CA, O=Evil', join(dir, 'b-other.crl')],
      ],
    );
  });
});

test('a CRL signed with an EC key and without nextUpdate is read', () => {
  const ecCa = issueEc({ subject: [[['2.5.4.3', 'EC CA']]], isCA: true, notAfterDays: 365 });
  withDir((dir) => {
    writeFileSync(join(dir, 'ec.crl'), makeCrl(ecCa, { nextUpdate: null }).der);
    assert.deepEqual(loadCrls(join(dir, 'ec.crl')).summary.map((s) => [s.issuer, s.nextUpdate]), [['CN=EC CA', undefined]]);
  });
});

test('warnings: an expired or not yet valid CRL, and a truststore CA without a CRL', () => {
  const { ca, otherCa } = testPki();
  const now = Date.now();
  withDir((dir) => {
    writeFileSync(join(dir, 'expired.pem'), makeCrl(ca, { thisUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(Date.UTC(2020, 0, 1)) }).pem);
    const loaded = loadCrls(dir, { trustAnchors: [ca.x509, otherCa.x509] });
    assert.deepEqual(loaded.warnings, [
      `the CRL of "CN=Test Root CA, O=Acme" (${join(dir, 'expired.pem')}) expired at 2020-01-01T00:00:00.000Z: clients of that CA are refused (CRL_HAS_EXPIRED) until a fresh CRL is installed`,
      'no CRL is loaded for the truststore CA "CN=Other CA, O=Evil": with ssl.crl on, the certificates it issues are refused (UNABLE_TO_GET_CRL)',
    ]);
    writeFileSync(join(dir, 'expired.pem'), makeCrl(ca, { thisUpdate: new Date(Date.UTC(2031, 0, 1)), nextUpdate: new Date(Date.UTC(2031, 1, 1)) }).pem);
    assert.match(loadCrls(dir, { now: new Date(Date.UTC(2030, 0, 1)) }).warnings[0] ?? '', /is not valid before 2031-01-01T00:00:00.000Z: clients of that CA are refused \(CRL_NOT_YET_VALID\)/);
  });
});

test('unreadable and garbage input is refused naming the file and what is wrong', () => {
  const { ca } = testPki();
  const crl = makeCrl(ca);
  withDir((dir) => {
    const at = (name: string, content: string | Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    refused(() => loadCrls(join(dir, 'absent.crl')), /^ssl.crl .*absent.crl: cannot be read: ENOENT/);
    refused(() => loadCrls(at('text.crl', 'hello world')), /text.crl: is neither PEM nor a DER CRL: not DER-encoded ASN.1/);
    refused(() => loadCrls(at('truncated.crl', crl.der.subarray(0, crl.der.length - 10))), /truncated.crl: is neither PEM nor a DER CRL/);
    refused(() => loadCrls(at('trailing.crl', Buffer.concat([crl.der, Buffer.from([0])]))), /trailing.crl: is neither PEM nor a DER CRL/);
    refused(() => loadCrls(at('cert.crl', ca.x509.raw)), /cert.crl: is neither PEM nor a DER CRL: not a certificate revocation list: it is shaped like a certificate/);
    refused(() => loadCrls(at('cert.pem', ca.cert)), /cert.pem: holds no X509 CRL block \(found CERTIFICATE\)/);
    refused(() => loadCrls(at('cut.pem', crl.pem.slice(0, 60))), /cut.pem: holds an unterminated PEM block/);
    refused(() => loadCrls(at('bad64.pem', crl.pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'))), /bad64.pem: CRL block 1: its base64 text is damaged/);
    refused(() => loadCrls(at('second.pem', crl.pem + '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n')), /second.pem: CRL block 2: not DER-encoded ASN.1/);
  });
  withDir((dir) => {
    writeFileSync(join(dir, '.only-hidden'), crl.pem);
    refused(() => loadCrls(dir), /the directory holds no CRL files/);
    writeFileSync(join(dir, 'README'), 'CRLs for the gateway');
    refused(() => loadCrls(dir), /no file of the directory holds a CRL that can be used; the first: ssl.crl .*README: is neither PEM nor a DER CRL/);
    // One stray file among CRLs is skipped with a warning: it must not keep every later CRL out.
    writeFileSync(join(dir, 'good.pem'), crl.pem);
    const loaded = loadCrls(dir);
    assert.equal(loaded.summary.length, 1);
    assert.match(loaded.warnings[0] ?? '', /README: is neither PEM nor a DER CRL: .*: skipped, the directory's other files are read \(move it out of /);
    assert.equal(loaded.incomplete, true);
  });
});

test('a delta CRL is refused, alone or in a bundle after its base, and skipped in a directory: OpenSSL would take it for the whole list', () => {
  const { ca, client } = testPki();
  const base = makeCrl(ca, { number: 2, revoked: [{ serial: client.x509.serialNumber }] });
  const delta = makeCrl(ca, { number: 3, deltaOf: 2 });
  withDir((dir) => {
    writeFileSync(join(dir, 'delta.crl'), delta.der);
    refused(() => loadCrls(join(dir, 'delta.crl')), /delta.crl: is a delta CRL number 3 of "CN=Test Root CA, O=Acme" \(it completes base CRL number 2\): delta CRLs are not supported/);
    writeFileSync(join(dir, 'bundle.pem'), base.pem + delta.pem);
    refused(() => loadCrls(join(dir, 'bundle.pem')), /bundle.pem: CRL block 2 is a delta CRL number 3/);
    try {
      loadCrls(join(dir, 'bundle.pem'));
    } catch (e) {
      assert.match((e as GatewayError).hint ?? '', /complete CRLs only/);
    }
  });
  withDir((dir) => {
    writeFileSync(join(dir, 'delta.pem'), delta.pem);
    refused(() => loadCrls(dir), /delta.pem: is a delta CRL/);
    writeFileSync(join(dir, 'base.pem'), base.pem);
    const loaded = loadCrls(dir);
    assert.deepEqual(loaded.summary.map((c) => c.number), ['2'], 'in a directory, the delta is skipped and the base read');
    assert.match(loaded.warnings[0] ?? '', /delta.pem: is a delta CRL number 3 .*: skipped/);
  });
});

test("a CRL naming a truststore CA but not signed by its key is refused; the CA's own is taken, whichever of its certificates signed it", () => {
  const { ca } = testPki();
  const impostor = issue({ subject: { CN: 'Test Root CA', O: 'Acme' }, isCA: true, notAfterDays: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'gw-crl-'));
  try {
    writeFileSync(join(dir, 'forged.crl'), makeCrl(impostor).der);
    assert.throws(
      () => loadCrls(dir, { trustAnchors: [ca.x509] }),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_CRL' && /forged\.crl: the CRL of "CN=Test Root CA, O=Acme" is not signed by the key of the truststore CA of that name/.test(e.message),
    );
    // A CA renewed with a new key has two certificates of one name: a CRL signed by either is its own.
    assert.equal(loadCrls(dir, { trustAnchors: [ca.x509, impostor.x509] }).summary.length, 1);
    // Without the truststore (an intermediate's CRL), the signature is checked where a chain is judged.
    assert.equal(loadCrls(dir).summary.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, type X509Certificate as X509 } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { parseHttpHeader } from '../../../src/config/http-header.js';
import type { HeaderVariable, HttpHeaderConfig, TemplatePart } from '../../../src/config/types.js';
import { renderIdentityHeaders, staticIdentityHeaders, type ClientFacts } from '../../../src/services/identity-headers.js';
import { identify, type ClientIdentity } from '../../../src/tls/identity.js';
import { buildServerTls } from '../../../src/tls/server.js';
import { dnAttributes, formatDn, readCertificateNames } from '../../../src/tls/x509-names.js';
import { issueEc } from '../../helpers/ec-cert.js';
import { issue, testPki } from '../../helpers/pki.js';
import { handshake, keyEntry, keyStore, trustStore } from '../../helpers/tls.js';

function templates(...lines: string[]): HttpHeaderConfig[] {
  const diags = new Diagnostics();
  const out = lines.map((line, i) => parseHttpHeader(line, { file: 'gateway-config.xml', line: i + 1, column: 1 }, diags));
  assert.deepEqual(diags.all, []);
  return out as HttpHeaderConfig[];
}

/** The identity `identify()` gives for a verified `leaf` whose chain was verified along `chain`. */
function identityOf(leaf: X509, chain: readonly X509[] = [], verified = true): ClientIdentity {
  const names = readCertificateNames(leaf.raw);
  return {
    presented: true,
    verified,
    error: verified ? undefined : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    subject: formatDn(names.subject),
    subjectAttributes: dnAttributes(names.subject),
    issuer: formatDn(names.issuer),
    sans: names.sans,
    fingerprint256: leaf.fingerprint256,
    serialNumber: leaf.serialNumber,
    validTo: new Date(leaf.validTo).toISOString(),
    chainDepth: chain.length,
    certificateDer: leaf.raw,
    chainDer: chain.map((c) => c.raw),
  };
}

const PLAIN: ClientFacts = { downstreamAddress: '192.0.2.7', downstreamPort: 50123, servername: undefined, identity: undefined };

const facts = (identity: ClientIdentity | undefined, servername: string | undefined = 'gw.example.com'): ClientFacts => ({ ...PLAIN, servername, identity });

test('every variable of a verified client', () => {
  const { client, ca } = testPki();
  const rendered = renderIdentityHeaders(
    templates(
      'clientId: {ssl.client.CN}',
      'X-Client-IP: {client.address}',
      'X-Client-Port: {client.port}',
      'X-Subject: {ssl.client.subject}',
      'X-Org: {ssl.client.OU}/{ssl.client.o}',
      'X-Fingerprint: {ssl.client.fingerprint}',
      'X-Serial: {ssl.client.serial}',
      'X-Verified: {ssl.client.verified}',
      'Client-Cert: {ssl.client.cert}',
      'Client-Cert-Chain: {ssl.client.chain}',
      'X-SNI: {sni}',
      'X-Gateway: gw-1',
    ),
    facts(identityOf(client.x509, [ca.x509])),
  );
  assert.deepEqual(rendered.refused, []);
  assert.deepEqual(Object.entries(rendered.headers), [
    ['clientId', 'device-1'],
    ['X-Client-IP', '192.0.2.7'],
    ['X-Client-Port', '50123'],
    ['X-Subject', 'CN=device-1, OU=devices, O=Acme'],
    ['X-Org', 'devices/Acme'],
    ['X-Fingerprint', client.x509.fingerprint256],
    ['X-Serial', client.x509.serialNumber],
    ['X-Verified', 'true'],
    ['Client-Cert', `:${client.x509.raw.toString('base64')}:`],
    ['Client-Cert-Chain', `:${ca.x509.raw.toString('base64')}:`],
    ['X-SNI', 'gw.example.com'],
    ['X-Gateway', 'gw-1'],
  ]);
  assert.match(rendered.headers['X-Fingerprint'] ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  // RFC 9440: the Byte Sequence decodes to the DER of the client's certificate.
  const cert = new X509Certificate(Buffer.from((rendered.headers['Client-Cert'] ?? '').slice(1, -1), 'base64'));
  assert.equal(cert.fingerprint256, client.x509.fingerprint256);
  assert.equal(Object.getPrototypeOf(rendered.headers), null);
});

test('Client-Cert and Client-Cert-Chain from a real handshake: the leaf, then its issuers in TLS order', async () => {
  const { server, ca } = testPki();
  const root = issue({ subject: { CN: 'Header Root', O: 'Acme' }, isCA: true, notAfterDays: 3650 });
  const ca1 = issue({ subject: { CN: 'Header CA 1', O: 'Acme' }, isCA: true, issuer: root });
  const ca2 = issue({ subject: { CN: 'Header CA 2', O: 'Acme' }, isCA: true, issuer: ca1 });
  const leaf = issue({ subject: { CN: 'chained-device' }, issuer: ca2, usage: 'client' });
  const options = buildServerTls({
    keystore: keyStore(keyEntry('server', server, ca)),
    truststore: trustStore(root),
    hostnames: ['localhost'],
    verifyClient: 'required',
    ciphers: undefined,
    protocols: undefined,
  });
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert: leaf.cert + ca2.cert + ca1.cert }, identify);
  assert.equal(result.server?.verified, true);
  const rendered = renderIdentityHeaders(templates('Client-Cert: {ssl.client.cert}', 'Client-Cert-Chain: {ssl.client.chain}'), facts(result.server, 'localhost'));
  const b64 = (c: X509): string => `:${c.raw.toString('base64')}:`;
  assert.deepEqual(rendered.headers['Client-Cert'], b64(leaf.x509));
  assert.equal(rendered.headers['Client-Cert-Chain'], [ca2, ca1, root].map((c) => b64(c.x509)).join(', '));
});

test('without a certificate: a header whose variables are all empty is left out; one without variables is sent', () => {
  const set = templates(
    'clientId: {ssl.client.CN}',
    'X-Id: cn={ssl.client.CN}; o={ssl.client.O}',
    'Client-Cert: {ssl.client.cert}',
    'Client-Cert-Chain: {ssl.client.chain}',
    'X-SNI: {sni}',
    'X-Who: {ssl.client.CN}@{client.address}',
    'X-Verified: {ssl.client.verified}',
    'X-Gateway: gw-1',
    'X-Empty:',
  );
  const anonymous: ClientIdentity = { ...identityOf(testPki().client.x509), presented: false, verified: false, subject: undefined, subjectAttributes: {}, fingerprint256: undefined, serialNumber: undefined, certificateDer: undefined, chainDer: [] };
  for (const client of [PLAIN, { ...PLAIN, identity: anonymous }]) {
    const rendered = renderIdentityHeaders(set, client);
    assert.deepEqual(rendered.refused, []);
    assert.deepEqual(Object.entries(rendered.headers), [
      ['X-Who', '@192.0.2.7'],
      ['X-Verified', 'false'],
      ['X-Gateway', 'gw-1'],
      ['X-Empty', ''],
    ]);
  }
});

test('with no client yet (a prepared connection, a probe): only the headers without a variable are sent', () => {
  const set = templates('clientId: {ssl.client.CN}', 'X-Verified: {ssl.client.verified}', 'X-Api-Key:  k1 ', 'X-Who: gw@{client.address}', 'X-Empty:');
  assert.deepEqual(Object.entries(staticIdentityHeaders(set)), [
    ['X-Api-Key', 'k1'],
    ['X-Empty', ''],
  ]);
});

test('a certificate the gateway did not verify names nobody', () => {
  const { untrustedClient } = testPki();
  const rendered = renderIdentityHeaders(
    templates('clientId: {ssl.client.CN}', 'X-Subject: {ssl.client.subject}', 'Client-Cert: {ssl.client.cert}', 'X-Fingerprint: {ssl.client.fingerprint}', 'X-Verified: {ssl.client.verified}'),
    facts(identityOf(untrustedClient.x509, [], false)),
  );
  assert.deepEqual(Object.entries(rendered.headers), [['X-Verified', 'false']]);
});

test('several values of one attribute are joined with ", ", most specific first as subjects are printed', () => {
  const device = issueEc({
    subject: [[['0.9.2342.19200300.100.1.25', 'com']], [['0.9.2342.19200300.100.1.25', 'acme']], [['2.5.4.11', 'fleet-a'], ['2.5.4.11', 'sensors']], [['2.5.4.3', 'sensor-17']]],
  });
  const rendered = renderIdentityHeaders(templates('X-DC: {ssl.client.DC}', 'X-OU: {ssl.client.ou}', 'X-Subject: {ssl.client.subject}'), facts(identityOf(device.x509)));
  assert.deepEqual(rendered.headers['X-DC'], 'acme, com');
  assert.deepEqual(rendered.headers['X-OU'], 'fleet-a, sensors');
  assert.equal(rendered.headers['X-Subject'], 'CN=sensor-17, OU=fleet-a+OU=sensors, DC=acme, DC=com');
});

test('every attribute spelling reads what the certificate reader names that attribute', () => {
  const byOid: [string, string, string][] = [
    ['2.5.4.3', 'commonName', 'cn-v'],
    ['2.5.4.4', 'SN', 'surname-v'],
    ['2.5.4.5', 'serialNumber', 'serial-v'],
    ['2.5.4.6', 'C', 'US'],
    ['2.5.4.7', 'L', 'locality-v'],
    ['2.5.4.8', 'ST', 'state-v'],
    ['2.5.4.9', 'street', 'street-v'],
    ['2.5.4.10', 'O', 'org-v'],
    ['2.5.4.11', 'OU', 'unit-v'],
    ['2.5.4.12', 'title', 'title-v'],
    ['2.5.4.42', 'GN', 'given-v'],
    ['2.5.4.43', 'initials', 'initials-v'],
    ['2.5.4.44', 'generationQualifier', 'generation-v'],
    ['2.5.4.46', 'dnQualifier', 'dnq-v'],
    ['0.9.2342.19200300.100.1.1', 'userId', 'uid-v'],
    ['0.9.2342.19200300.100.1.25', 'domainComponent', 'dc-v'],
    ['1.2.840.113549.1.9.1', 'emailAddress', 'device@acme.example'],
  ];
  const device = issueEc({ subject: byOid.map(([oid, , value]) => [[oid, value]]) });
  const rendered = renderIdentityHeaders(
    templates(...byOid.map(([, spelling], i) => `X-${i}: {ssl.client.${spelling}}`)),
    facts(identityOf(device.x509)),
  );
  assert.deepEqual(Object.values(rendered.headers), byOid.map(([, , value]) => value));
});

test('a control character from a certificate refuses the header, named with the reason and never the value', () => {
  const evil = issueEc({ subject: [[['2.5.4.10', 'Acme']], [['2.5.4.3', 'device-1\r\nX-Admin: yes']]] });
  const rendered = renderIdentityHeaders(
    templates('clientId: {ssl.client.CN}', 'X-Subject: [{ssl.client.subject}]', 'X-Org: {ssl.client.O}', 'X-Refused-Quietly: {ssl.client.OU}'),
    facts(identityOf(evil.x509)),
  );
  assert.deepEqual(Object.entries(rendered.headers), [['X-Org', 'Acme']]);
  assert.deepEqual(rendered.refused, [
    { name: 'clientId', reason: '{ssl.client.CN} holds the control character U+000D' },
    { name: 'X-Subject', reason: '{ssl.client.subject} holds the control character U+000D' },
  ]);
  for (const r of rendered.refused) assert.doesNotMatch(r.reason, /device-1|Admin/);
  const nul = renderIdentityHeaders(templates('X-SNI: {sni}'), facts(undefined, 'a\u0000b'));
  assert.deepEqual(nul.refused, [{ name: 'X-SNI', reason: '{sni} holds the control character U+0000' }]);
});

test('text beyond ASCII is sent as its UTF-8 bytes, which node:http accepts and writes unchanged', () => {
  const device = issueEc({ subject: [[['2.5.4.10', 'Société Générale']], [['2.5.4.3', 'Müller 设备 🔑']]] });
  const rendered = renderIdentityHeaders(templates('clientId: {ssl.client.CN}', 'X-Org: {ssl.client.O} ✓'), facts(identityOf(device.x509)));
  const cn = rendered.headers['clientId'] ?? '';
  assert.doesNotThrow(() => validateHeaderValue('clientId', cn));
  assert.equal(Buffer.from(cn, 'latin1').toString('utf8'), 'Müller 设备 🔑');
  assert.equal(Buffer.from(rendered.headers['X-Org'] ?? '', 'latin1').toString('utf8'), 'Société Générale ✓');
});

test('spaces around a value are dropped, as a recipient would; spaces inside are kept', () => {
  const rendered = renderIdentityHeaders(templates('X-Who: {ssl.client.OU} {ssl.client.CN}', 'X-Pad: {sni}'), facts(identityOf(testPki().client2.x509), ' \tpadded host\t '));
  assert.deepEqual(Object.entries(rendered.headers), [
    ['X-Who', 'devices device-2'],
    ['X-Pad', 'padded host'],
  ]);
  const noOu = issueEc({ subject: [[['2.5.4.3', 'solo']]] });
  assert.equal(renderIdentityHeaders(templates('X-Who: {ssl.client.OU} {ssl.client.CN}'), facts(identityOf(noOu.x509))).headers['X-Who'], 'solo');
});

test('a header named like an Object.prototype member is an ordinary header', () => {
  const rendered = renderIdentityHeaders(templates('__proto__: {client.address}', 'constructor: x'), PLAIN);
  assert.deepEqual(Object.keys(rendered.headers), ['__proto__', 'constructor']);
  assert.equal(rendered.headers['__proto__'], '192.0.2.7');
  assert.equal(Object.getPrototypeOf(rendered.headers), null);
});

// --- properties -------------------------------------------------------------------------------------------------

const VARIABLES: HeaderVariable[] = ['client.address', 'client.port', 'sni', 'ssl.client.subject', 'ssl.client.fingerprint', 'ssl.client.serial', 'ssl.client.verified', 'ssl.client.cert', 'ssl.client.chain'];
/** Any string at all: every code point, lone surrogates, controls, CR, LF, NUL. */
const anyText = fc.string({ unit: 'binary', maxLength: 24 });
const anyPart: fc.Arbitrary<TemplatePart> = fc.oneof(
  fc.constantFrom(...VARIABLES).map((variable): TemplatePart => ({ kind: 'variable', variable })),
  fc.constantFrom('CN', 'OU', 'O', 'EMAILADDRESS', 'NOPE').map((attribute): TemplatePart => ({ kind: 'attribute', attribute })),
  // Literal text as the config admits it: no control character.
  anyText.map((text): TemplatePart => ({ kind: 'text', text: text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, '') })),
);
const anyTemplate = fc.record({
  name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/),
  parts: fc.array(anyPart, { maxLength: 6 }),
});
const anyValues = fc.array(anyText, { maxLength: 3 });
const anyIdentity: fc.Arbitrary<ClientIdentity | undefined> = fc.option(
  fc.record({
    presented: fc.boolean(),
    verified: fc.boolean(),
    subject: fc.option(anyText, { nil: undefined }),
    attributes: fc.record({ CN: anyValues, OU: anyValues, O: anyValues, EMAILADDRESS: anyValues }),
    fingerprint256: fc.option(anyText, { nil: undefined }),
    serialNumber: fc.option(anyText, { nil: undefined }),
    der: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
    chain: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
  }).map(
    (r): ClientIdentity => ({
      presented: r.presented,
      verified: r.verified,
      error: undefined,
      subject: r.subject,
      subjectAttributes: r.attributes,
      issuer: undefined,
      sans: [],
      fingerprint256: r.fingerprint256,
      serialNumber: r.serialNumber,
      validTo: undefined,
      chainDepth: r.chain.length,
      certificateDer: r.der === undefined ? undefined : Buffer.from(r.der),
      chainDer: r.chain.map((c) => Buffer.from(c)),
    }),
  ),
  { nil: undefined },
);
const anyClient: fc.Arbitrary<ClientFacts> = fc.record({
  downstreamAddress: anyText,
  downstreamPort: fc.integer({ min: 0, max: 65535 }),
  servername: fc.option(anyText, { nil: undefined }),
  identity: anyIdentity,
});

test('property: no control character ever reaches a rendered value, and node:http accepts every one', () => {
  fc.assert(
    fc.property(fc.uniqueArray(anyTemplate, { selector: (t) => t.name.toLowerCase(), maxLength: 5 }), anyClient, (list, client) => {
      const set = list.map((t): HttpHeaderConfig => ({ ...t, template: '', position: { file: 'x' } }));
      const { headers, refused } = renderIdentityHeaders(set, client);
      for (const [name, value] of Object.entries(headers)) {
        assert.doesNotMatch(value, /[\x00-\x08\x0a-\x1f\x7f]/);
        assert.doesNotMatch(value, /[^\t\x20-\x7e\x80-\xff]/);
        assert.doesNotMatch(value, /^[ \t]|[ \t]$/);
        // Read back as the UTF-8 it is sent as: no C1 control either.
        assert.doesNotMatch(Buffer.from(value, 'latin1').toString('utf8'), /[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
        validateHeaderName(name);
        validateHeaderValue(name, value);
      }
      // Each template is sent, refused, or left out because every variable of it was empty.
      for (const t of set) {
        const sent = t.name in headers;
        const isRefused = refused.some((r) => r.name === t.name);
        assert.ok(!(sent && isRefused), t.name);
        if (!sent && !isRefused) assert.ok(t.parts.some((p) => p.kind !== 'text'), `${t.name} has no variable, so it is always sent`);
      }
    }),
    { numRuns: 500 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { parseHttpHeader } from '../../../src/config/http-header.js';
import type { HttpHeaderConfig } from '../../../src/config/types.js';
import { forwardedHeaders } from '../../../src/services/forwarded-headers.js';
import { renderIdentityHeaders } from '../../../src/services/identity-headers.js';

const named = (...names: string[]): { name: string }[] => names.map((name) => ({ name }));

/** A browser's upgrade request, as IncomingMessage.rawHeaders holds it. */
const BROWSER = [
  'Host', 'gw.example.com',
  'Connection', 'keep-alive, Upgrade',
  'Pragma', 'no-cache',
  'Upgrade', 'websocket',
  'Origin', 'https://app.example.com',
  'Sec-WebSocket-Version', '13',
  'User-Agent', 'Mozilla/5.0',
  'Accept-Language', 'en',
  'Cookie', 'a=1',
  'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits',
  'Sec-WebSocket-Protocol', 'mqtt',
  'cookie', 'b=2',
  'Authorization', 'Bearer t',
];

test('end-to-end headers pass; hop-by-hop, Host, Content-Length and Sec-WebSocket-* do not', () => {
  const out = forwardedHeaders(BROWSER, []);
  assert.deepEqual(Object.entries(out), [
    ['Pragma', 'no-cache'],
    ['Origin', 'https://app.example.com'],
    ['User-Agent', 'Mozilla/5.0'],
    ['Accept-Language', 'en'],
    ['Cookie', ['a=1', 'b=2']],
    ['Authorization', 'Bearer t'],
  ]);
  assert.equal(Object.getPrototypeOf(out), null);
});

test('every hop-by-hop header goes, and so does every header the client names in Connection', () => {
  const raw = [
    'Connection', 'Upgrade, X-Hop',
    'connection', ' x-other ,, ',
    'Keep-Alive', 'timeout=5',
    'Proxy-Authorization', 'Basic x',
    'Proxy-Connection', 'keep-alive',
    'TE', 'trailers',
    'Trailer', 'X-T',
    'Transfer-Encoding', 'chunked',
    'Content-Length', '0',
    'Upgrade', 'websocket',
    'HOST', 'h',
    'SEC-WEBSOCKET-KEY', 'k',
    'x-hop', '1',
    'X-Other', '2',
    'X-Kept', '3',
  ];
  assert.deepEqual(Object.entries(forwardedHeaders(raw, [])), [['X-Kept', '3']]);
});

test('a header a <http.header> names is removed, in whatever case the client wrote it', () => {
  const raw = ['clientid', 'forged', 'X-Kept', '1', 'CLIENTID', 'forged again', 'Client-Cert', ':AAAA:', 'x-forwarded-for', '10.0.0.1', 'X-Forwarded-For', '10.0.0.2'];
  // X-Forwarded-* and Client-Cert are the proxy's to set: removed whether configured or not.
  assert.deepEqual(Object.entries(forwardedHeaders(raw, named('clientId'))), [['X-Kept', '1']]);
  assert.deepEqual(Object.entries(forwardedHeaders(raw, named('clientId', 'client-cert', 'X-Forwarded-For'))), [['X-Kept', '1']]);
});

test("the gateway's certificate-ticket cookies are taken out of Cookie; the application's own cookies pass", () => {
  const tickets = new Set(['GW_TICKET']);
  const raw = ['Cookie', 'AUTH=abc; GW_TICKET=v1.ticket; theme=dark', 'cookie', 'GW_TICKET=v1.other', 'Cookie', 'gw_ticket=not-ours'];
  assert.deepEqual(Object.entries(forwardedHeaders(raw, [], tickets)), [['Cookie', ['AUTH=abc; theme=dark', 'gw_ticket=not-ours']]]);
  assert.deepEqual(Object.entries(forwardedHeaders(['Cookie', ' GW_TICKET = x ;;'], [], tickets)), [], 'a Cookie of nothing else is not sent');
  assert.deepEqual(Object.entries(forwardedHeaders(raw, [])), [['Cookie', ['AUTH=abc; GW_TICKET=v1.ticket; theme=dark', 'GW_TICKET=v1.other', 'gw_ticket=not-ours']]], 'without tickets, Cookie passes as sent');
});

test('repeated headers keep every value in order, under the spelling first sent', () => {
  const raw = ['x-tag', 'a', 'X-Tag', 'b', 'X-TAG', 'c', 'Accept', '*/*'];
  assert.deepEqual(Object.entries(forwardedHeaders(raw, [])), [['x-tag', ['a', 'b', 'c']], ['Accept', '*/*']]);
});

test('lines node:http could not send are dropped; names like Object.prototype members are plain data', () => {
  const raw = ['X-Bad', 'a\r\nb', 'X-Nul', 'a\u0000', 'Bad Name', 'x', 'X-Wide', '设备', 'X-Obs', 'caf\u00c3\u00a9', '__proto__', 'p', 'constructor', 'c', 'hasOwnProperty', 'h'];
  const out = forwardedHeaders(raw, []);
  assert.deepEqual(Object.keys(out), ['X-Obs', '__proto__', 'constructor', 'hasOwnProperty']);
  assert.equal(out['__proto__'], 'p');
  assert.equal(Object.getPrototypeOf(out), null);
  assert.deepEqual(Object.entries(forwardedHeaders(['a', 'b', 'dangling'], [])), [['a', 'b']]);
});

// --- properties -------------------------------------------------------------------------------------------------

const CONFIGURED = ['clientId', 'X-Client-IP', 'Client-Cert', 'Client-Cert-Chain', 'X-Forwarded-For'];
const STRIPPED = /^(connection|keep-alive|te|trailer|transfer-encoding|upgrade|host|content-length|client-cert|client-cert-chain|forwarded|x-real-ip|proxy-.*|sec-websocket-.*|x-forwarded-.*|x-client-cert.*)$/;

/** A name in random case. */
const casing = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
const anyName = fc.oneof(
  fc.constantFrom(...CONFIGURED).chain(casing),
  fc.constantFrom('Connection', 'Upgrade', 'Host', 'Proxy-Authorization', 'Sec-WebSocket-Key', 'Content-Length', 'Cookie', 'Origin', 'X-A', 'x-b').chain(casing),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/),
);
const anyValue = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('Upgrade', 'clientId, X-A', 'keep-alive, Upgrade, x-b'));
const anyRaw = fc.array(fc.tuple(anyName, anyValue), { maxLength: 16 }).map((pairs) => pairs.flat());

test('property: a configured name sent by the client never survives, in any case, whatever else is sent', () => {
  fc.assert(
    fc.property(anyRaw, fc.subarray(CONFIGURED), (raw, configured) => {
      const out = forwardedHeaders(raw, named(...configured));
      const lowerConfigured = new Set(configured.map((n) => n.toLowerCase()));
      const connectionNamed = new Set<string>();
      for (let i = 0; i < raw.length; i += 2) {
        if (raw[i]?.toLowerCase() === 'connection') for (const n of (raw[i + 1] ?? '').split(',')) connectionNamed.add(n.trim().toLowerCase());
      }
      for (const name of Object.keys(out)) {
        const lower = name.toLowerCase();
        assert.ok(!lowerConfigured.has(lower), `${name} is configured`);
        assert.doesNotMatch(lower, STRIPPED);
        assert.ok(!connectionNamed.has(lower), `${name} is named in Connection`);
      }
      // Everything else the client sent arrives, values in order, under one spelling per name.
      const expected = new Map<string, string[]>();
      for (let i = 0; i < raw.length; i += 2) {
        const lower = (raw[i] as string).toLowerCase();
        if (lowerConfigured.has(lower) || STRIPPED.test(lower) || connectionNamed.has(lower) || /[^\t\x20-\x7e\x80-\xff]/.test(raw[i + 1] as string)) continue;
        expected.set(lower, [...(expected.get(lower) ?? []), raw[i + 1] as string]);
      }
      const actual = new Map(Object.entries(out).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value : [value]]));
      assert.deepEqual(actual, expected);
    }),
    { numRuns: 500 },
  );
});

// --- with the ws client the proxy uses --------------------------------------------------------------------------

function withDeadline<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

test('forwarded and rendered headers together make the upgrade request a WebSocket backend receives', async () => {
  const diags = new Diagnostics();
  const configured = ['clientId: {ssl.client.CN}', 'X-Client-IP: {client.address}', 'X-Verified: {ssl.client.verified}'].map((line) => parseHttpHeader(line, { file: 'x' }, diags) as HttpHeaderConfig);
  assert.deepEqual(diags.all, []);
  const identity = {
    presented: true,
    verified: true,
    error: undefined,
    subject: 'CN=Müller',
    subjectAttributes: { CN: ['Müller'] },
    issuer: undefined,
    sans: [],
    fingerprint256: undefined,
    serialNumber: undefined,
    validTo: undefined,
    chainDepth: 1,
    certificateDer: undefined,
    chainDer: [],
  };
  const rendered = renderIdentityHeaders(configured, { downstreamAddress: '2001:db8::7', downstreamPort: 4000, servername: undefined, identity });
  const forwarded = forwardedHeaders([...BROWSER, 'ClientID', 'admin', 'X-Tag', 'a', 'x-client-ip', '127.0.0.1', 'x-tag', 'b'], configured);

  const backend = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (offered) => [...offered][0] ?? false });
  try {
    await withDeadline(once(backend, 'listening'), 'the backend to listen');
    const seen = withDeadline(once(backend, 'connection') as Promise<[WebSocket, IncomingMessage]>, 'the upgrade request at the backend');
    const client = new WebSocket(`ws://127.0.0.1:${(backend.address() as AddressInfo).port}/socket`, ['mqtt'], { headers: { ...forwarded, ...rendered.headers } });
    client.on('error', () => undefined);
    const [, req] = await seen;
    await withDeadline(once(client, 'open'), 'the client to open');
    assert.equal(client.protocol, 'mqtt');
    const lines: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push([(req.rawHeaders[i] as string).toLowerCase(), req.rawHeaders[i + 1] as string]);
    const all = (name: string): string[] => lines.filter(([n]) => n === name).map(([, v]) => v);
    assert.deepEqual(all('clientid'), [Buffer.from('Müller', 'utf8').toString('latin1')]);
    assert.deepEqual(all('x-client-ip'), ['2001:db8::7']);
    assert.deepEqual(all('x-verified'), ['true']);
    // node:http joins a request's Cookie lines into one, as RFC 6265 §5.4 has it; other repeats stay lines.
    assert.deepEqual(all('cookie'), ['a=1; b=2']);
    assert.deepEqual(all('x-tag'), ['a', 'b']);
    assert.deepEqual(all('origin'), ['https://app.example.com']);
    assert.deepEqual(all('host'), [`127.0.0.1:${(backend.address() as AddressInfo).port}`]);
    assert.deepEqual(all('connection'), ['Upgrade']);
    assert.deepEqual(all('sec-websocket-protocol'), ['mqtt']);
    assert.notDeepEqual(all('sec-websocket-key'), ['dGhlIHNhbXBsZSBub25jZQ==']);
    client.close();
    await withDeadline(once(client, 'close'), 'the client to close');
  } finally {
    for (const ws of backend.clients) ws.terminate();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
});

test('a configured name is removed in its underscore spelling too, as CGI-style servers read the two as one', () => {
  const raw = ['X_Client_IP', '10.9.9.9', 'x_forwarded_for', '10.0.0.1', 'X-Kept', '1'];
  assert.deepEqual(Object.entries(forwardedHeaders(raw, named('X-Client-IP'))), [['X-Kept', '1']]);
});

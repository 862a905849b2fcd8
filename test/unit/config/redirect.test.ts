import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, doc, parse, where } from '../../helpers/config.js';

function redirect(properties: string[], accept = 'http://h:8080/'): string[] {
  return ['  <service>', '    <name>r</name>', `    <accept>${accept}</accept>`, '    <type>http.redirect</type>', '    <properties>', ...properties.map((p) => `      ${p}`), '    </properties>', '  </service>'];
}

test('http.redirect: location required, status-code 300–399 defaulting to 301, cache-control values joined', () => {
  const r = parse(doc(...redirect(['<location>https://www.example.com/</location>', '<cache-control>no-cache</cache-control>', '<cache-control>no-store</cache-control>', '<status-code>308</status-code>'])));
  assert.deepEqual(config(r).services[0]?.redirect, { location: 'https://www.example.com', statusCode: 308, cacheControl: 'no-cache, no-store' });
  const plain = parse(doc(...redirect(['<location>https://www.example.com:8443/app</location>'])));
  assert.deepEqual(config(plain).services[0]?.redirect, { location: 'https://www.example.com:8443/app', statusCode: 301, cacheControl: undefined });
});

test('http.redirect: a bad location or status-code is reported at its line and column; the accept must be http(s)', () => {
  const r = parse(doc(...redirect(['<location>www.example.com</location>', '<status-code>200</status-code>'])));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 7:7', 'error GW_ERR_CONFIG_VALUE 8:7']);
  assert.match(r.diagnostics[1]?.message ?? '', /Valid values are integers between 300 and 399/);
  const query = parse(doc(...redirect(['<location>https://h/?a=1</location>'])));
  assert.match(query.diagnostics[0]?.message ?? '', /must not have a query or fragment/);
  const missing = parse(doc(...redirect([]).filter((l) => !l.includes('properties'))));
  assert.deepEqual(where(missing), ['error GW_ERR_CONFIG_MISSING 2:3']);
  const ws = parse(doc(...redirect(['<location>https://h/</location>'], 'ws://h:8080/')));
  assert.deepEqual(where(ws), ['error GW_ERR_CONFIG_URI 4:5']);
});

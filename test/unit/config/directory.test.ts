import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCacheControl } from '../../../src/config/cache-control.js';
import { parseConfig } from '../../../src/config/index.js';
import { config, doc, where } from '../../helpers/config.js';

/** A GATEWAY_HOME with conf/, web/app/ and error-pages/; the configuration is parsed as conf/gateway-config.xml. */
function home(t: { after(fn: () => void): void }): { dir: string; parse(text: string): ReturnType<typeof parseConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-dir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['conf', 'web/app', 'error-pages']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'web', 'file.txt'), 'x');
  return { dir, parse: (text) => parseConfig(text, join(dir, 'conf', 'gateway-config.xml'), { hostname: 'h' }) };
}

function directory(properties: string[], accept = 'http://h:8080/', extra: string[] = []): string[] {
  return ['  <service>', '    <name>pages</name>', `    <accept>${accept}</accept>`, '    <type>directory</type>', '    <properties>', ...properties.map((p) => `      ${p}`), '    </properties>', ...extra, '  </service>'];
}

test('directory resolves below GATEWAY_HOME/web (the configuration folder\'s parent), even with a leading slash; a file: URI is absolute', (t) => {
  const h = home(t);
  const r = h.parse(doc(...directory(['<directory>/app</directory>', '<welcome-file>index.html</welcome-file>', '<error-pages-directory>error-pages</error-pages-directory>', '<options>indexes</options>'])));
  const props = config(r).services[0]?.directory;
  assert.equal(props?.directory, join(h.dir, 'web', 'app'));
  assert.equal(props?.errorPagesDirectory, join(h.dir, 'error-pages'));
  assert.equal(props?.welcomeFile, 'index.html');
  assert.equal(props?.indexes, true);
  const root = config(h.parse(doc(...directory(['<directory>/</directory>'])))).services[0]?.directory;
  assert.equal(root?.directory, join(h.dir, 'web'));
  assert.equal(root?.indexes, false);
  const uri = config(h.parse(doc(...directory([`<directory>${pathToFileURL(join(h.dir, 'error-pages')).href}</directory>`])))).services[0]?.directory;
  assert.equal(uri?.directory, join(h.dir, 'error-pages'));
});

test('check reports a missing directory, a file named as one, a bad welcome-file, options and location at line:col', (t) => {
  const h = home(t);
  const r = h.parse(
    doc(
      ...directory([
        '<directory>/missing</directory>',
        '<welcome-file>../index.html</welcome-file>',
        '<error-pages-directory>web/file.txt</error-pages-directory>',
        '<options>listing</options>',
        '<location><patterns>**/*.js</patterns><cache-control>max-age=forever</cache-control></location>',
        '<location><patterns> </patterns><cache-control>no-cache</cache-control></location>',
      ]),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 7:7', 'error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 10:7', 'error GW_ERR_CONFIG_VALUE 11:45', 'error GW_ERR_CONFIG_MISSING 12:17']);
  const messages = r.diagnostics.map((d) => d.message);
  assert.match(messages[0] ?? '', new RegExp(`names ${join(h.dir, 'web', 'missing')}, which does not exist`));
  assert.match(messages[2] ?? '', /which is not a directory/);
  const missing = h.parse(doc(...directory([]).filter((l) => !l.includes('properties'))));
  assert.deepEqual(where(missing), ['error GW_ERR_CONFIG_MISSING 2:3']);
});

test('a directory service takes http:// and https:// accepts only, and no connect; ws and http accepts may share a path', (t) => {
  const h = home(t);
  const ws = h.parse(doc(...directory(['<directory>/</directory>'], 'ws://h:8080/')));
  assert.deepEqual(where(ws), ['error GW_ERR_CONFIG_URI 4:5']);
  assert.match(ws.diagnostics[0]?.message ?? '', /its accept must be http:\/\/ or https:\/\//);
  const connect = h.parse(doc(...directory(['<directory>/</directory>'], 'http://h:8080/').map((l) => (l.includes('<type>') ? `    <connect>tcp://b:1</connect>\n${l}` : l))));
  assert.deepEqual(where(connect), ['error GW_ERR_CONFIG_URI 5:5']);
  const shared = h.parse(doc(...directory(['<directory>/</directory>']), '  <service><name>e</name><accept>ws://h:8080/</accept><type>echo</type></service>'));
  assert.deepEqual(where(shared), []);
  assert.equal(config(shared).listeners.length, 1, 'ws:// and http:// on one host:port share a listener');
  const twice = h.parse(doc(...directory(['<directory>/</directory>']), ...directory(['<directory>/app</directory>']).map((l) => l.replace('<name>pages', '<name>other'))));
  assert.deepEqual(where(twice), ['error GW_ERR_CONFIG_DUPLICATE 12:5']);
  const tlsMix = h.parse(doc(...directory(['<directory>/</directory>'], 'https://h:8080/'), '  <service><name>e</name><accept>ws://h:8080/e</accept><type>echo</type></service>'));
  // https:// and ws:// may share the port: the first byte of a connection tells TLS from plain HTTP.
  assert.deepEqual(where(tlsMix), ['error GW_ERR_CONFIG_MISSING 4:5']);
});

test('cache-control: Kaazing\'s directives and intervals up to years, m+ for after modification; anything else is refused', () => {
  assert.deepEqual(parseCacheControl('max-age=1 year, public'), { flags: ['public'], values: [], maxAgeS: 31_536_000, maxAgeAfterModifiedS: undefined });
  assert.deepEqual(parseCacheControl('max-age=m+2d,s-maxage=30m, no-cache'), { flags: ['no-cache'], values: [{ name: 's-maxage', seconds: 1800 }], maxAgeS: undefined, maxAgeAfterModifiedS: 172_800 });
  assert.deepEqual(parseCacheControl('max-age=0, max-age=m+1h').maxAgeS, 0);
  for (const bad of ['', 'max-age', 'max-age=1 fortnight', 'no-cache=1', 'immutable', 'public, public', 's-maxage=m+1']) {
    assert.throws(() => parseCacheControl(bad), (e: Error & { code?: string }) => e.code === 'GW_ERR_CONFIG_VALUE', bad);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, doc, parse, where } from '../../helpers/config.js';

function management(properties: string[] | undefined): string[] {
  const block = properties === undefined ? [] : ['    <properties>', ...properties.map((p) => `      ${p}`), '    </properties>'];
  return ['  <service>', '    <name>m</name>', '    <accept>http://127.0.0.1:9090/</accept>', '    <type>management.http</type>', ...block, '  </service>'];
}

test('management.http: read-only, false unless given; any case of true or false', () => {
  assert.deepEqual(config(parse(doc(...management(undefined)))).services[0]?.management, { readOnly: false });
  assert.deepEqual(config(parse(doc(...management(['<read-only>true</read-only>'])))).services[0]?.management, { readOnly: true });
  assert.deepEqual(config(parse(doc(...management(['<read-only>False</read-only>'])))).services[0]?.management, { readOnly: false });
});

test('management.http: a wrong read-only value or another property is an error at its line and column', () => {
  const wrong = parse(doc(...management(['<read-only>yes</read-only>'])));
  assert.deepEqual(where(wrong), ['error GW_ERR_CONFIG_VALUE 7:7']);
  assert.match(wrong.diagnostics[0]?.message ?? '', /Invalid <read-only> "yes": allowed values are true, false/);
  const other = parse(doc(...management(['<directory>/</directory>'])));
  assert.equal(other.diagnostics[0]?.severity, 'error');
  assert.match(other.diagnostics[0]?.message ?? '', /directory/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { parseConfig } from '../../../src/config/index.js';
import { FILE, config, doc, only, parse, where } from '../../helpers/config.js';

function props(...pairs: [string, string][]): string[] {
  return ['  <properties>', ...pairs.map(([n, v]) => `    <property><name>${n}</name><value>${v}</value></property>`), '  </properties>'];
}

const echoAt = (accept: string): string[] => ['  <service>', '    <name>e</name>', `    <accept>${accept}</accept>`, '    <type>echo</type>', '  </service>'];

test('${} resolves -D defines first, then <properties>, then ${hostname}', () => {
  const text = doc(...props(['port', '8000'], ['host', 'from-file']), ...echoAt('ws://${host}:${port}/${hostname}'));
  assert.equal(config(parse(text)).services[0]?.accepts[0]?.uri, 'ws://from-file:8000/gw.example.com');
  assert.equal(config(parse(text, { defines: { host: 'from-define' } })).services[0]?.accepts[0]?.uri, 'ws://from-define:8000/gw.example.com');
  const overridden = doc(...props(['hostname', 'file-host']), ...echoAt('ws://${hostname}:80/'));
  assert.equal(config(parse(overridden)).services[0]?.accepts[0]?.host, 'file-host');
  assert.equal(config(parse(overridden, { defines: { hostname: 'define-host' } })).services[0]?.accepts[0]?.host, 'define-host');
});

test('${hostname} defaults to the machine name', () => {
  const r = parseConfig(doc(...echoAt('ws://${hostname}:80/')), FILE);
  assert.equal(config(r).services[0]?.accepts[0]?.host, hostname().toLowerCase());
});

test('properties may reference other properties, in any order; a define overrides a referenced one', () => {
  const text = doc(...props(['url', 'ws://${host}:${port}/x'], ['host', 'h'], ['port', '${base}'], ['base', '81']), ...echoAt('${url}'));
  assert.equal(config(parse(text)).services[0]?.accepts[0]?.uri, 'ws://h:81/x');
  assert.equal(config(parse(text, { defines: { base: '99' } })).services[0]?.accepts[0]?.port, 99);
});

test('$${x} is the literal ${x} and is not resolved', () => {
  const text = doc(...echoAt('ws://h:80/a'), '  <security>', '    <keystore><file>$${dir}/k.db</file></keystore>', '  </security>');
  const c = config(parse(text));
  assert.ok(c.security.keystore?.file.endsWith('/${dir}/k.db'), c.security.keystore?.file);
});

test('an unresolved reference names the parameter at its element; every one is reported', () => {
  const text = doc(...props(['a', '${missing.in.value}']), ...echoAt('ws://${nohost}:${noport}/'));
  const r = parse(text);
  assert.equal(r.ok, false);
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_PROPERTY 3:29', 'error GW_ERR_CONFIG_PROPERTY 7:5', 'error GW_ERR_CONFIG_PROPERTY 7:5']);
  assert.match(only(r, 'GW_ERR_CONFIG_PROPERTY')[0]?.message ?? '', /\$\{missing\.in\.value\}/);
  assert.match(only(r, 'GW_ERR_CONFIG_PROPERTY')[1]?.message ?? '', /\$\{nohost\}/);
});

test('property names are case-sensitive, with a hint when only case differs', () => {
  const r = parse(doc(...props(['Port', '80']), ...echoAt('ws://h:${port}/')));
  assert.equal(only(r, 'GW_ERR_CONFIG_PROPERTY')[0]?.hint, 'property names are case-sensitive: did you mean ${Port}?');
});

test('a reference to a misspelt property name is told the nearest one', () => {
  const r = parse(doc(...props(['gateway.hostname', 'h']), ...echoAt('ws://${gateway.hostnme}:80/')));
  assert.equal(only(r, 'GW_ERR_CONFIG_PROPERTY')[0]?.hint, 'did you mean ${gateway.hostname}?');
  const far = parse(doc(...props(['gateway.hostname', 'h']), ...echoAt('ws://${backend}:80/')));
  assert.equal(only(far, 'GW_ERR_CONFIG_PROPERTY')[0]?.hint, undefined);
});

test('circular properties, unterminated and empty references are errors', () => {
  const cycle = parse(doc(...props(['a', '${b}'], ['b', '${a}']), ...echoAt('ws://${a}:80/')));
  assert.deepEqual(where(cycle), ['error GW_ERR_CONFIG_PROPERTY 3:29']);
  assert.match(cycle.diagnostics[0]?.message ?? '', /refers to itself/);
  assert.match(parse(doc(...echoAt('ws://${host:80/'))).diagnostics[0]?.message ?? '', /Unterminated/);
  assert.match(parse(doc(...echoAt('ws://${}:80/'))).diagnostics[0]?.message ?? '', /Empty property reference/);
});

test('a property defined twice is an error at the second definition', () => {
  const r = parse(doc(...props(['a', '1'], ['a', '2']), ...echoAt('ws://h:80/')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 4:15']);
});

test('define values are literal: a define containing ${…} is not expanded', () => {
  const text = doc(...echoAt('ws://h:80/'), '  <security>', '    <keystore><file>${p}</file></keystore>', '  </security>');
  const r = parse(text, { defines: { p: '${q}.db' } });
  assert.ok(config(r).security.keystore?.file.endsWith('/${q}.db'));
});

test('properties that double with each reference are refused at the first that grows past 64 KiB, not run out of memory', () => {
  // p0 is 16 characters, so p12 is 64 KiB (allowed), p13 128 KiB and p40 about 16 TiB.
  const pairs: [string, string][] = [['p0', 'abcdefghijklmnop']];
  for (let i = 1; i <= 40; i++) pairs.push([`p${i}`, `\${p${i - 1}}\${p${i - 1}}`]);
  const text = doc(...props(...pairs), ...echoAt('ws://h:80/${p40}'));
  const r = parse(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, errors.map((d) => d.message).join('\n'));
  assert.equal(errors[0]?.code, 'GW_ERR_CONFIG_PROPERTY');
  assert.equal(errors[0]?.message, 'Substituting ${p12} makes a value longer than 64 KiB');
  // Reported at the value of p13, the property that grows too long.
  const line = text.split('\n').findIndex((l) => l.includes('<name>p13</name>')) + 1;
  assert.equal(errors[0]?.position?.line, line);
});

test('a -D that no ${} uses is a warning, with the referenced name it is nearest to', () => {
  const text = doc(...props(['port', '8000'], ['url', 'ws://h:${port}/x']), ...echoAt('${url}'));
  const misspelt = parse(text, { defines: { prot: '9000' } });
  const [warning] = only(misspelt, 'GW_ERR_CONFIG_WARNING');
  assert.equal(warning?.message, '-D prot is not used: the configuration refers to no ${prot}');
  assert.equal(warning?.hint, 'did you mean -D port?');
  assert.equal(config(misspelt).services[0]?.accepts[0]?.port, 8000, 'the file\'s own value is served');
  const unrelated = only(parse(text, { defines: { 'backend.address': 'b:1' } }), 'GW_ERR_CONFIG_WARNING');
  assert.equal(unrelated[0]?.hint, 'the properties it refers to: port, url');
  // Used through another property's value, or overriding a property the file refers to: no warning.
  assert.deepEqual(only(parse(text, { defines: { port: '81' } }), 'GW_ERR_CONFIG_WARNING'), []);
  assert.deepEqual(only(parse(doc(...echoAt('ws://${hostname}:80/')), { defines: { hostname: 'h' } }), 'GW_ERR_CONFIG_WARNING'), []);
});

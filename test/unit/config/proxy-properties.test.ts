import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, doc, parse, proxy, where } from '../../helpers/config.js';

const withProps = (...props: string[]): string => doc(...proxy('p', 'ws://h/', undefined, ['    <properties>', ...props.map((p) => '      ' + p), '    </properties>']));

test('proxy properties are parsed with their grammars', () => {
  const c = config(parse(withProps('<maximum.pending.bytes>128k</maximum.pending.bytes>', '<maximum.recovery.interval>30</maximum.recovery.interval>', '<connect.strategy>Deferred</connect.strategy>', '<prepared.connection.count>0</prepared.connection.count>')));
  assert.deepEqual(c.services[0]?.properties, { maximumPendingBytes: 131072, maximumRecoveryIntervalS: 30, connectStrategy: 'deferred', preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 });
});

test('the prepared strategy takes its connection count; a count without it has no effect', () => {
  const prepared = config(parse(withProps('<connect.strategy>prepared</connect.strategy>', '<prepared.connection.count>2</prepared.connection.count>')));
  assert.equal(prepared.services[0]?.properties.connectStrategy, 'prepared');
  assert.equal(prepared.services[0]?.properties.preparedConnectionCount, 2);
  assert.deepEqual(where(parse(withProps('<connect.strategy>prepared</connect.strategy>'))), ['error GW_ERR_CONFIG_MISSING 8:7']);
  assert.deepEqual(where(parse(withProps('<prepared.connection.count>3</prepared.connection.count>'))), ['warning GW_ERR_CONFIG_WARNING 8:7']);
});

test('the prepared connection count is at most 1000, which are all opened at once', () => {
  const most = config(parse(withProps('<connect.strategy>prepared</connect.strategy>', '<prepared.connection.count>1000</prepared.connection.count>')));
  assert.equal(most.services[0]?.properties.preparedConnectionCount, 1000);
  const r = parse(withProps('<connect.strategy>prepared</connect.strategy>', '<prepared.connection.count>99999999999</prepared.connection.count>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 9:7']);
  assert.equal(r.diagnostics[0]?.message, 'prepared.connection.count is at most 1000, got 99999999999');
});

test('bad values and unknown properties are errors, with a hint for near misses', () => {
  const r = parse(withProps('<maximum.pending.bytes>128kB</maximum.pending.bytes>', '<maximum.recovery.interval>1500ms</maximum.recovery.interval>', '<connect.strategy>lazy</connect.strategy>', '<maximum.pending.byte>1</maximum.pending.byte>', '<maximum.pending.bytes>0</maximum.pending.bytes>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 10:7', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 11:7', 'error GW_ERR_CONFIG_DUPLICATE 12:7']);
  assert.match(r.diagnostics[2]?.message ?? '', /allowed values are immediate, deferred, prepared/);
  assert.equal(r.diagnostics[3]?.hint, 'did you mean <maximum.pending.bytes>?');
});

test('close.timeout: a time interval longer than 0, 5 seconds by default', () => {
  assert.equal(config(parse(withProps('<close.timeout>90 seconds</close.timeout>'))).services[0]?.properties.closeTimeoutMs, 90_000);
  assert.equal(config(parse(withProps('<close.timeout>1500ms</close.timeout>'))).services[0]?.properties.closeTimeoutMs, 1500);
  const zero = parse(withProps('<close.timeout>0</close.timeout>'));
  assert.deepEqual(where(zero), ['error GW_ERR_CONFIG_VALUE 8:7']);
  assert.equal(zero.diagnostics[0]?.message, 'close.timeout must be longer than 0');
  assert.deepEqual(where(parse(withProps('<close.timeout>soon</close.timeout>'))), ['error GW_ERR_CONFIG_VALUE 8:7']);
});

test('idle.timeout: a time interval, 0 (never) by default', () => {
  assert.equal(config(parse(withProps('<idle.timeout>10 minutes</idle.timeout>'))).services[0]?.properties.idleTimeoutMs, 600_000);
  assert.equal(config(parse(withProps())).services[0]?.properties.idleTimeoutMs, 0);
  assert.deepEqual(where(parse(withProps('<idle.timeout>forever</idle.timeout>'))), ['error GW_ERR_CONFIG_VALUE 8:7']);
});

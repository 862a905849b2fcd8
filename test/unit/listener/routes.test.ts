import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocketServer } from 'ws';
import type { AcceptUri } from '../../../src/config/types.js';
import { compileAccessRules } from '../../../src/auth/access.js';
import { hostOf, pathMatches, RouteTable, type Route } from '../../../src/listener/routes.js';
import type { Service } from '../../../src/services/types.js';
import { NO_METRICS } from '../../../src/metrics/types.js';

function route(host: string, path: string, name: string): Route {
  const accept = { uri: `wss://${host}:443${path}`, scheme: 'wss', host, port: 443, path } as AcceptUri;
  return { accept, service: { config: { name } } as unknown as Service, wss: {} as WebSocketServer, access: compileAccessRules([]), meter: NO_METRICS.service(name) };
}

test('hostOf strips the port and IPv6 brackets and lower-cases', () => {
  assert.equal(hostOf('Example.COM:8443'), 'example.com');
  assert.equal(hostOf('[::1]:9000'), '::1');
  assert.equal(hostOf('localhost'), 'localhost');
  assert.equal(hostOf(undefined), undefined);
});

test('a path matches itself and what lies below it on a segment boundary', () => {
  assert.ok(pathMatches('/v1/devices', '/v1/devices'));
  assert.ok(pathMatches('/v1/devices', '/v1/devices/device-1'));
  assert.ok(!pathMatches('/v1/devices', '/v1/devices-old'));
  assert.ok(pathMatches('/', '/anything'));
});

test('the longest matching path wins', () => {
  const table = new RouteTable([route('a', '/', 'root'), route('a', '/v1', 'v1'), route('a', '/v1/devices', 'devices')]);
  assert.equal(table.match('a', '/v1/devices/x')?.service.config.name, 'devices');
  assert.equal(table.match('a', '/v1/other')?.service.config.name, 'v1');
  assert.equal(table.match('a', '/x')?.service.config.name, 'root');
});

test('the Host header picks among services on one address; an unknown host falls back to the path', () => {
  const table = new RouteTable([route('one.example', '/ws', 'one'), route('two.example', '/ws', 'two'), route('one.example', '/only-one', 'only')]);
  assert.equal(table.match('two.example:443', '/ws')?.service.config.name, 'two');
  assert.equal(table.match('one.example', '/ws')?.service.config.name, 'one');
  assert.equal(table.match('two.example', '/only-one'), undefined);
  assert.equal(table.match('10.0.0.1', '/only-one')?.service.config.name, 'only');
  assert.equal(table.match('one.example', '/missing'), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { externalSystem, parseEndpoint } from '../../../../bench/systems/external.js';

test('wss:// and tls:// endpoints with their host, port and path', () => {
  assert.deepEqual(parseEndpoint('kaazing=wss://gw.example:8001/bench?x=1'), {
    name: 'kaazing',
    endpoint: { protocol: 'ws', host: 'gw.example', port: 8001, path: '/bench?x=1' },
  });
  assert.deepEqual(parseEndpoint('haproxy=tls://[::1]:9443'), { name: 'haproxy', endpoint: { protocol: 'tls', host: '::1', port: 9443, path: '/' } });
});

test('malformed endpoints are refused with what to write instead', () => {
  assert.throws(() => parseEndpoint('wss://x:1/'), /expects name=wss:\/\/host:port\/path/);
  assert.throws(() => parseEndpoint('a=not a url'), /--endpoint a: "not a url" is not a URL/);
  assert.throws(() => parseEndpoint('a=ws://x:1/'), /use wss:\/\/ or tls:\/\/, not ws:\/\//);
  assert.throws(() => parseEndpoint('a=wss://x/'), /needs a port/);
});

test('an external system is a peer with no process of its own to start or measure', async () => {
  const sys = externalSystem('other=wss://127.0.0.1:9/x');
  assert.equal(sys.name, 'other');
  assert.equal(sys.peer, true);
  assert.equal(sys.noServer, true);
  assert.equal(await sys.detect(), undefined);
  const running = await sys.start({} as never);
  assert.deepEqual(running.endpoint, { protocol: 'ws', host: '127.0.0.1', port: 9, path: '/x' });
  assert.deepEqual(running.pids, []);
});

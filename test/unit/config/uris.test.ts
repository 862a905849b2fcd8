import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { parseAcceptUri, parseConnectUri } from '../../../src/config/uris.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof GatewayError ? e.code : 'not a GatewayError';
  }
};

test('accept URIs: ws and wss, default ports 80 and 443, path without trailing slash, host lower-cased, IPv6 unbracketed', () => {
  assert.deepEqual(parseAcceptUri('ws://Example.COM/'), { scheme: 'ws', host: 'example.com', port: 80, path: '/' });
  assert.deepEqual(parseAcceptUri('wss://h'), { scheme: 'wss', host: 'h', port: 443, path: '/' });
  assert.deepEqual(parseAcceptUri('wss://h:8443/a/b/'), { scheme: 'wss', host: 'h', port: 8443, path: '/a/b' });
  assert.deepEqual(parseAcceptUri('ws://[::1]:8080/x'), { scheme: 'ws', host: '::1', port: 8080, path: '/x' });
});

test('accept URIs: tcp:// and ssl:// are a host and port; other schemes are unsupported; query, user info and garbage are invalid', () => {
  assert.deepEqual(parseAcceptUri('tcp://127.0.0.1:5000'), { scheme: 'tcp', host: '127.0.0.1', port: 5000, path: '/' });
  assert.deepEqual(parseAcceptUri('SSL://Gateway:7443/'), { scheme: 'ssl', host: 'gateway', port: 7443, path: '/' });
  for (const u of ['tcp://h', 'tcp://h:1/path']) assert.equal(code(() => parseAcceptUri(u)), 'GW_ERR_CONFIG_URI', u);
  for (const u of ['sse://h/', 'udp://h:1']) assert.equal(code(() => parseAcceptUri(u)), 'GW_ERR_CONFIG_UNSUPPORTED', u);
  assert.deepEqual(parseAcceptUri('http://h/app/'), { scheme: 'http', host: 'h', port: 80, path: '/app' });
  assert.deepEqual(parseAcceptUri('HTTPS://h:8443'), { scheme: 'https', host: 'h', port: 8443, path: '/' });
  for (const u of ['ws://h/?q=1', 'ws://u:p@h/', 'ws://h/#f', 'h:80/x', 'ws://h:99999/', '']) assert.equal(code(() => parseAcceptUri(u)), 'GW_ERR_CONFIG_URI', u);
});

test('a URI the URL parser refuses says what is wrong with its port or host', () => {
  const message = (fn: () => unknown): string => {
    try {
      fn();
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(message(() => parseAcceptUri('ws://localhost:99999/echo')), 'Invalid accept URI "ws://localhost:99999/echo": the port 99999 is out of range (0 to 65535)');
  assert.equal(message(() => parseAcceptUri('ws://localhost:8x/echo')), 'Invalid accept URI "ws://localhost:8x/echo": the port "8x" is not a number');
  assert.equal(message(() => parseAcceptUri('ws://exa mple:80/')), 'Invalid accept URI "ws://exa mple:80/": "exa mple" is not a valid host name or address');
  assert.equal(message(() => parseConnectUri('tcp://[::1:80')), 'Invalid connect URI "tcp://[::1:80": the IPv6 address has no closing "]"');
  assert.equal(message(() => parseAcceptUri('ws://u:p@h:99999/')), 'Invalid accept URI "ws://u:p@h:99999/": the port 99999 is out of range (0 to 65535)');
  assert.equal(message(() => parseAcceptUri('ws://[::1]:70000/')), 'Invalid accept URI "ws://[::1]:70000/": the port 70000 is out of range (0 to 65535)');
});

test('connect URIs: tcp and ssl with a required port; ws and wss with a path; nothing else', () => {
  assert.deepEqual(parseConnectUri('tcp://Backend:5000'), { scheme: 'tcp', host: 'backend', port: 5000, path: '/' });
  assert.deepEqual(parseConnectUri('ssl://[::1]:443/'), { scheme: 'ssl', host: '::1', port: 443, path: '/' });
  assert.deepEqual(parseConnectUri('wss://gw.example.com/devices/device-1'), { scheme: 'wss', host: 'gw.example.com', port: 443, path: '/devices/device-1' });
  assert.deepEqual(parseConnectUri('ws://app:8080'), { scheme: 'ws', host: 'app', port: 8080, path: '/' });
  for (const u of ['tcp://b', 'tcp://b:0', 'tcp://b:1/path', 'tcp://b:1?x', 'tcp://:1', 'ws://b:0/']) assert.equal(code(() => parseConnectUri(u)), 'GW_ERR_CONFIG_URI', u);
  for (const u of ['udp://b:1', 'http://b:1']) assert.equal(code(() => parseConnectUri(u)), 'GW_ERR_CONFIG_UNSUPPORTED', u);
});

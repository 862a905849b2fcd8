import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AcceptUri, CrossSiteConstraint } from '../../../src/config/types.js';
import { normalizeOrigin, originRefusal, type OriginTarget } from '../../../src/auth/origin.js';

const accept = { uri: 'wss://gw.example.com:9000/echo', scheme: 'wss', host: 'gw.example.com', port: 9000, path: '/echo' } as AcceptUri;
const target: OriginTarget = { accept, hostHeader: 'gw.example.com:9000', secure: true };
const allow = (allowOrigin: string) => ({ allowOrigin }) as CrossSiteConstraint;

test('origins are normalised as browsers send them', () => {
  assert.equal(normalizeOrigin('HTTPS://App.Example.com:443'), 'https://app.example.com');
  assert.equal(normalizeOrigin('http://app.example.com:8080/'), 'http://app.example.com:8080');
  assert.equal(normalizeOrigin('http://[::1]:80'), 'http://[::1]');
  assert.equal(normalizeOrigin('null'), undefined);
  assert.equal(normalizeOrigin('ftp://x'), undefined);
});

test('a request without Origin (a non-browser client) is admitted', () => {
  assert.equal(originRefusal(undefined, target, []), undefined);
  assert.equal(originRefusal(undefined, target, [allow('https://app.example.com')]), undefined);
});

test("the service's own origin is admitted by host:port whatever its scheme, with or without constraints", () => {
  for (const constraints of [[], [allow('https://app.example.com')]]) {
    assert.equal(originRefusal('https://gw.example.com:9000', target, constraints), undefined);
    assert.equal(originRefusal('http://GW.example.com:9000', target, constraints), undefined, 'an http:// origin to a wss:// service');
    assert.match(originRefusal('https://gw.example.com', target, constraints) ?? '', /not the service's own \(gw\.example\.com:9000\)/);
    assert.match(originRefusal('https://evil.example', target, constraints) ?? '', /not the service's own/);
  }
});

test("python3-websocket's default Origin (http://host:port) reaches a wss:// service on that host:port", () => {
  const local = { ...accept, host: 'localhost', port: 9000, uri: 'wss://localhost:9000/echo' } as AcceptUri;
  assert.equal(originRefusal('http://localhost:9000', { accept: local, hostHeader: 'localhost:9000', secure: true }, []), undefined);
});

test('an origin equal to the request\'s own (Host header, https over TLS) is admitted: an accept bound elsewhere, or on port 0', () => {
  const bound = { ...accept, host: '127.0.0.1', port: 0 } as AcceptUri;
  assert.equal(originRefusal('https://127.0.0.1:43123', { accept: bound, hostHeader: '127.0.0.1:43123', secure: true }, []), undefined);
  assert.match(originRefusal('http://127.0.0.1:43123', { accept: bound, hostHeader: '127.0.0.1:43123', secure: true }, []) ?? '', /not the service's own/, 'the scheme counts here');
  assert.equal(originRefusal('https://gw.example.com', { accept, hostHeader: 'gw.example.com', secure: true }, []), undefined, 'default port 443 on both');
});

test('allow-origin admits the origins it names (scheme and host:port), or every origin with *', () => {
  const constraints = [allow('https://app.example.com'), allow('http://localhost:8000')];
  assert.equal(originRefusal('https://app.example.com:443', target, constraints), undefined);
  assert.equal(originRefusal('http://localhost:8000', target, constraints), undefined);
  assert.match(originRefusal('http://app.example.com', target, constraints) ?? '', /cross-site-constraint/);
  assert.match(originRefusal('https://other.example.com', target, constraints) ?? '', /cross-site-constraint/);
  for (const any of ['https://anything.example', 'null', 'not a url']) assert.equal(originRefusal(any, target, [allow('*')]), undefined, any);
  assert.match(originRefusal('null', target, constraints) ?? '', /not an http\(s\) origin/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AcceptUri, CrossSiteConstraint } from '../../../src/config/types.js';
import { normalizeOrigin, originRefusal } from '../../../src/auth/origin.js';

const accept = { uri: 'wss://gw.example.com:9000/echo', scheme: 'wss', host: 'gw.example.com', port: 9000, path: '/echo' } as AcceptUri;
const allow = (allowOrigin: string) => ({ allowOrigin }) as CrossSiteConstraint;

test('origins are normalised as browsers send them', () => {
  assert.equal(normalizeOrigin('HTTPS://App.Example.com:443'), 'https://app.example.com');
  assert.equal(normalizeOrigin('http://app.example.com:8080/'), 'http://app.example.com:8080');
  assert.equal(normalizeOrigin('null'), undefined);
  assert.equal(normalizeOrigin('ftp://x'), undefined);
});

test('a request without Origin (a non-browser client) is admitted', () => {
  assert.equal(originRefusal(undefined, accept, []), undefined);
  assert.equal(originRefusal(undefined, accept, [allow('https://app.example.com')]), undefined);
});

test('without a cross-site-constraint only the accept\'s own origin is admitted', () => {
  assert.equal(originRefusal('https://gw.example.com:9000', accept, []), undefined);
  assert.match(originRefusal('https://evil.example', accept, []) ?? '', /not allowed/);
});

test('allow-origin admits the origins it names, or every origin with *', () => {
  const constraints = [allow('https://app.example.com'), allow('http://localhost:8000')];
  assert.equal(originRefusal('https://app.example.com', accept, constraints), undefined);
  assert.equal(originRefusal('http://localhost:8000', accept, constraints), undefined);
  assert.match(originRefusal('https://other.example.com', accept, constraints) ?? '', /cross-site-constraint/);
  assert.equal(originRefusal('https://anything.example', accept, [allow('*')]), undefined);
  assert.match(originRefusal('not a url', accept, [allow('*')]) ?? '', /not a valid/);
});

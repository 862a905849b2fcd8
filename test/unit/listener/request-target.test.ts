import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { toOriginForm } from '../../../src/listener/request-target.js';

function request(url: string, host = 'sent.example'): IncomingMessage {
  return { url, headers: { host } } as unknown as IncomingMessage;
}

function rewritten(url: string): { ok: boolean; url: string | undefined; host: string | undefined } {
  const req = request(url);
  const ok = toOriginForm(req);
  return { ok, url: req.url, host: req.headers.host };
}

test('an origin-form target is left as it is', () => {
  assert.deepEqual(rewritten('/echo?x=1'), { ok: true, url: '/echo?x=1', host: 'sent.example' });
});

test("an absolute-form target becomes origin-form, and its authority the request's Host", () => {
  assert.deepEqual(rewritten('http://gateway.example:8000/echo?x=1'), { ok: true, url: '/echo?x=1', host: 'gateway.example:8000' });
  assert.deepEqual(rewritten('HTTPS://Gateway.Example'), { ok: true, url: '/', host: 'Gateway.Example' });
  assert.deepEqual(rewritten('http://gateway.example?x=1'), { ok: true, url: '/?x=1', host: 'gateway.example' });
  assert.deepEqual(rewritten('http://[::1]:9000/a/b'), { ok: true, url: '/a/b', host: '[::1]:9000' });
  assert.deepEqual(rewritten('http://10.0.0.5/a'), { ok: true, url: '/a', host: '10.0.0.5' });
});

test('the path and query stay as sent: no dot-segment is resolved and no percent-encoding changed', () => {
  assert.deepEqual(rewritten('http://h/a/../%2e%2E/b%2F?q=%20'), { ok: true, url: '/a/../%2e%2E/b%2F?q=%20', host: 'h' });
});

test('an absolute-form target without a readable authority cannot be served', () => {
  for (const url of ['http:///echo', 'http://user:secret@h/echo', 'http://h h/echo', 'http://h"/echo', 'https://']) {
    assert.equal(toOriginForm(request(url)), false, url);
  }
});

test('targets in other forms are left to routing, which finds no service for them', () => {
  for (const url of ['*', 'ws://h/echo', 'h:443']) assert.deepEqual(rewritten(url), { ok: true, url, host: 'sent.example' }, url);
});

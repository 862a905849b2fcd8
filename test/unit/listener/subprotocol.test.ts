import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { handleProtocols, offeredProtocols, upgradeProblem } from '../../../src/listener/subprotocol.js';

function request(headers: Record<string, string>, method = 'GET'): IncomingMessage {
  return { method, headers: { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', ...headers } } as unknown as IncomingMessage;
}

test('a well-formed upgrade request has no problem; a malformed one is named', () => {
  assert.equal(upgradeProblem(request({ 'sec-websocket-protocol': 'chat.v2, chat.v1' })), undefined);
  assert.match(upgradeProblem(request({ 'sec-websocket-key': 'short' })) ?? '', /Sec-WebSocket-Key/);
  assert.match(upgradeProblem(request({ 'sec-websocket-version': '12' })) ?? '', /Version/);
  assert.match(upgradeProblem(request({ 'sec-websocket-protocol': 'a b' })) ?? '', /Protocol/);
  assert.match(upgradeProblem(request({ 'sec-websocket-protocol': 'a, a' })) ?? '', /Protocol/);
  assert.match(upgradeProblem(request({}, 'POST')) ?? '', /GET/);
});

test('without a backend choice the first offer is taken; with one, the choice, none included', () => {
  const req = request({ 'sec-websocket-protocol': 'x, y' });
  assert.deepEqual(offeredProtocols(req), ['x', 'y']);
  assert.equal(handleProtocols(new Set(['x', 'y']), req), 'x');
  assert.equal(handleProtocols(new Set(), req), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { hasPlainTextBody, quoteRefusalBody, readRefusalBody, REFUSAL_BODY_LIMIT } from '../../../src/upstream/refusal-body.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

const quote = (text: string, status = 'Forbidden'): string | undefined => quoteRefusalBody(Buffer.from(text), status);

/** A response body stream with the given headers; only what readRefusalBody and hasPlainTextBody read of one. */
function response(headers: Record<string, string> = {}): PassThrough & IncomingMessage {
  return Object.assign(new PassThrough(), { headers }) as unknown as PassThrough & IncomingMessage;
}

test("a gateway's refusal is quoted as one line, without the status text the message already gives", () => {
  assert.equal(quote('Forbidden: client certificate refused (CERT_HAS_EXPIRED).\n'), '"client certificate refused (CERT_HAS_EXPIRED)."');
  assert.equal(quote('device not enrolled\r\nsee the portal\n'), '"device not enrolled see the portal"');
  assert.equal(quote('Forbiddenness'), '"Forbiddenness"', 'only the status text followed by a colon is left out');
});

test('control characters, line separators and direction overrides are removed; quotes are escaped', () => {
  assert.equal(quote('a\u0000b\u001b[31mc\u007f\u009bd\u2028e\u202ef\u2066g'), '"ab[31mcd efg"');
  assert.equal(quote('say "no" \\ twice'), '"say \\"no\\" \\\\ twice"');
});

test('nothing printable, or only the status, quotes as nothing', () => {
  assert.equal(quote(''), undefined);
  assert.equal(quote(' \r\n\t\u0007'), undefined);
  assert.equal(quote('Forbidden:\n'), undefined);
});

test('a long body is cut at 200 characters, never inside a character', () => {
  const quoted = quote('é'.repeat(300)) ?? '';
  assert.equal(quoted, JSON.stringify(`${'é'.repeat(200)}…`));
  // The byte limit may cut a two-byte character in half: the half is dropped, not shown as U+FFFD.
  assert.equal(quoteRefusalBody(Buffer.from('aé').subarray(0, 2), ''), '"a"');
});

test('only a text/plain body that is not declared empty is read', () => {
  assert.equal(hasPlainTextBody(response({ 'content-type': 'text/plain; charset=utf-8' })), true);
  assert.equal(hasPlainTextBody(response({ 'content-type': 'Text/Plain' })), true);
  assert.equal(hasPlainTextBody(response({ 'content-type': 'text/html' })), false);
  assert.equal(hasPlainTextBody(response({})), false);
  assert.equal(hasPlainTextBody(response({ 'content-type': 'text/plain', 'content-length': '0' })), false);
});

/** What readRefusalBody hands over for `body`, awaited with a deadline. */
function handedOver(body: PassThrough & IncomingMessage): Promise<Buffer> {
  return withDeadline(new Promise<Buffer>((resolve) => readRefusalBody(body, resolve)), WAIT_MS, 'the body to be handed over');
}

test('the body is handed over once it has ended', async () => {
  const body = response();
  const got = handedOver(body);
  body.write('client certificate ');
  body.end('refused');
  assert.equal(String(await got), 'client certificate refused');
});

test(`a body that goes on is handed over at ${REFUSAL_BODY_LIMIT} bytes, and no more is read`, async () => {
  const body = response();
  const got = handedOver(body);
  body.write(Buffer.alloc(300, 'a'));
  body.write(Buffer.alloc(300, 'b'));
  const first = await got;
  assert.equal(first.length, REFUSAL_BODY_LIMIT);
  assert.equal(String(first), 'a'.repeat(300) + 'b'.repeat(REFUSAL_BODY_LIMIT - 300));
  assert.equal(body.listenerCount('data'), 0, 'it stops reading at the limit');
});

test('once stopped, a body that ends is not handed over', async () => {
  const body = response();
  let calls = 0;
  const stop = readRefusalBody(body, () => calls++);
  stop();
  const ended = event(body, 'end', 'the body to end');
  body.end('late');
  body.resume();
  await ended;
  assert.equal(calls, 0);
});

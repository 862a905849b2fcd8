/** A client's round trip through an echo service: wait for the WebSocket to open, one message and its echo, a close. */
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { event } from './deadline.js';

export async function echoRoundTrip(ws: WebSocket, text = 'hi'): Promise<void> {
  await event(ws, 'open', `${ws.url} to open`);
  const reply = event<[Buffer]>(ws, 'message', `the echo of "${text}"`);
  ws.send(text);
  assert.equal((await reply)[0].toString(), text);
  const closed = event(ws, 'close', `${ws.url} to close`);
  ws.close();
  await closed;
}

/**
 * ws ends a WebSocket's frame reader (a Writable stream) up to three times: itself when the close frame arrives,
 * then again when the socket ends and when it closes. Node's `Writable#end()` on a stream that has already
 * finished builds an ERR_STREAM_ALREADY_FINISHED error, stack trace included, that no one reads when no callback is
 * given. That is two errors for every connection closed cleanly, 30–40 µs of CPU: 1% of what the gateway spends on a
 * connection in the churn benchmark, 3% in resume (`npm run bench:compare`, docs/PERFORMANCE.md).
 *
 * A second `end()`, with no data and no callback, on a stream that is not corked and is already ending, finished or
 * destroyed, changes nothing: the error is its only product, and it is thrown away. `quietEnd` returns at once in
 * that case and is Node's own `end()` in every other.
 */
import { Writable } from 'node:stream';

const nodeEnd = Writable.prototype.end;

/** `Writable#end` without the discarded error of a repeated end; installed on a stream as its own `end`. */
function quietEnd(this: Writable, ...args: unknown[]): Writable {
  if (args.length === 0 && this.writableCorked === 0 && (this.writableEnded || this.destroyed)) return this;
  return (nodeEnd as (...a: unknown[]) => Writable).apply(this, args);
}

/**
 * Makes repeated ends of `ws`'s frame reader free. The reader is ws's private `_receiver`: if a later ws has none,
 * or not a Writable, nothing is changed and the WebSocket works as before, only at the old cost.
 * Returns whether the reader was found (tests check this, so that a ws upgrade that moves it is noticed).
 */
export function quietRepeatedEnds(ws: object): boolean {
  const receiver = (ws as { _receiver?: unknown })._receiver;
  if (!(receiver instanceof Writable)) return false;
  receiver.end = quietEnd as Writable['end'];
  return true;
}

/**
 * ws ends a WebSocket's streams more often than they need: the frame reader (a Writable) itself when the close frame
 * arrives, then again when the socket ends and when it closes; and the socket, once after the close frames have
 * crossed and again when the peer's FIN arrives. Node's `Writable#end()` on a stream that has already finished (or
 * been destroyed) builds an ERR_STREAM_ALREADY_FINISHED (or ERR_STREAM_DESTROYED) error, stack trace included, that
 * no one reads when no callback is given: three for every connection closed cleanly, 15–20 µs of CPU each, about 2%
 * of what the gateway spends on a connection in the churn benchmark and 4% in resume (`npm run bench:compare`,
 * docs/PERFORMANCE.md).
 *
 * A second `end()`, with no data and no callback, on a stream that is not corked and is already ending, finished or
 * destroyed, changes nothing: the error is its only product, and it is thrown away. `quietEnd` returns at once in
 * that case and is the stream's own `end()` in every other.
 */
import { Writable } from 'node:stream';

type End = (this: Writable, ...args: unknown[]) => Writable;

/** A stream's `end` without the discarded error of a repeated end; installed on the stream as its own `end`. */
function quietEnd(this: Writable, ...args: unknown[]): Writable {
  if (args.length === 0 && this.writableCorked === 0 && (this.writableEnded || this.destroyed)) return this;
  // The class's own end (net.Socket's, or Writable's for the reader), which the instance's property hides.
  return (Object.getPrototypeOf(this) as { end: End }).end.apply(this, args);
}

/**
 * Makes repeated ends of `ws`'s frame reader and socket free. Both are ws's private fields (`_receiver` and
 * `_socket`): a field a later ws does not have, or that is not a Writable, is left alone, and the WebSocket works as
 * before, only at the old cost. Returns whether both were found (tests check this, so that a ws upgrade that moves
 * either is noticed).
 */
export function quietRepeatedEnds(ws: object): boolean {
  let found = 0;
  for (const name of ['_receiver', '_socket'] as const) {
    const stream = (ws as Partial<Record<typeof name, unknown>>)[name];
    if (!(stream instanceof Writable)) continue;
    stream.end = quietEnd as Writable['end'];
    found++;
  }
  return found === 2;
}

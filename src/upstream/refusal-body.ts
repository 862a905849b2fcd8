/**
 * The body of an upgrade a WebSocket backend refused, for the error that reports the refusal. A gateway (this one,
 * as listener/http-response.ts answers) says why in a short text/plain body, `Forbidden: client certificate refused
 * (CERT_HAS_EXPIRED).`, which the status alone does not; for a device whose certificate the central gateway refuses,
 * that body is the only place the reason reaches it.
 *
 * The text comes from the far side, so only a little of it is read (REFUSAL_BODY_LIMIT), only while the connect
 * deadline runs (the caller's), and it is made into one quoted line of printable characters before any log sees it.
 */
import type { IncomingMessage } from 'node:http';

/** The most bytes of a refusal's body read; a gateway's one-line reason fits many times over. */
export const REFUSAL_BODY_LIMIT = 512;
/** The most characters of it quoted in a message. */
const QUOTED_LIMIT = 200;

/** Whether the refusal declares a text/plain body worth waiting for (an HTML error page is not read). */
export function hasPlainTextBody(response: IncomingMessage): boolean {
  const type = response.headers['content-type'];
  if (type === undefined || type.split(';')[0]?.trim().toLowerCase() !== 'text/plain') return false;
  return response.headers['content-length'] !== '0';
}

/**
 * Reads the body until it ends or REFUSAL_BODY_LIMIT bytes have come, then calls `done` once with those bytes. A
 * body cut off by a reset is not reported: the caller's deadline or close decides then. Returns a function that
 * stops reading, after which `done` is not called.
 */
export function readRefusalBody(response: IncomingMessage, done: (body: Buffer) => void): () => void {
  const chunks: Buffer[] = [];
  let length = 0;
  const stop = (): void => {
    response.removeListener('data', onData);
    response.removeListener('end', onEnd);
    response.removeListener('error', onError);
  };
  const finish = (): void => {
    stop();
    done(Buffer.concat(chunks, length).subarray(0, REFUSAL_BODY_LIMIT));
  };
  function onData(chunk: Buffer): void {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= REFUSAL_BODY_LIMIT) finish();
  }
  function onEnd(): void {
    finish();
  }
  function onError(): void {
    // The socket failed mid-body: the caller hears of it from its own 'error' or 'close'.
  }
  response.on('data', onData);
  response.on('end', onEnd);
  response.on('error', onError);
  return stop;
}

/**
 * The body as one JSON-quoted line for a message (`"client certificate refused (CERT_HAS_EXPIRED)."`), or undefined
 * when nothing printable is left. Line breaks and tabs become spaces; other control characters, and the Unicode
 * line separators and direction overrides that would break or disguise a log line, are removed; a status text the
 * message already gives (`Forbidden: …` after `403 Forbidden`) is not repeated.
 */
export function quoteRefusalBody(body: Buffer, statusText: string): string | undefined {
  // A character cut in two by the limit is dropped rather than shown as U+FFFD.
  const text = new TextDecoder('utf-8').decode(body, { stream: true });
  let line = text
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (statusText !== '' && line.toLowerCase().startsWith(`${statusText.toLowerCase()}:`)) line = line.slice(statusText.length + 1).trim();
  if (line === '') return undefined;
  const chars = [...line];
  return JSON.stringify(chars.length > QUOTED_LIMIT ? `${chars.slice(0, QUOTED_LIMIT).join('')}…` : line);
}

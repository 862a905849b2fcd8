/**
 * `ws.inactivity.timeout`: a connection nobody hears from is found and closed, so that half-dead peers (a phone
 * that lost its network, a NAT that dropped the mapping) do not hold a backend connection forever.
 *
 * The clock ticks every timeoutMs/2. A tick that follows a quiet half-period sends a ping; a second quiet tick in
 * a row closes the connection. So a ping goes out after timeoutMs/2 to timeoutMs of silence, and the connection
 * is closed after timeoutMs to 1.5 × timeoutMs of silence. Hearing anything (a message, a pong, a ping) starts
 * over. The message path only sets a flag: no timer is touched per message.
 *
 * On timeout the peer gets a close frame with 1001 (going away: RFC 6455 §7.4.1, "a server going down" — here,
 * going away from this connection) and reason "inactivity timeout", and the connection is dropped at once
 * without waiting for the closing handshake, as Kaazing closes the connection: a peer that answered no ping
 * for timeoutMs is not expected to answer a close frame either.
 */
import WebSocket from 'ws';
import { CLOSE_GOING_AWAY } from './close.js';

export const INACTIVITY_CLOSE_CODE = CLOSE_GOING_AWAY;
export const INACTIVITY_CLOSE_REASON = 'inactivity timeout';

/**
 * Pings when the connection has been quiet for timeoutMs/2; closes it when nothing (message, pong) arrived for
 * timeoutMs. `timeoutMs <= 0` means off (Kaazing's default). Returns a disposer, safe to call twice; it also runs
 * by itself when the WebSocket closes. The timer is unref'd.
 */
export function keepAlive(ws: WebSocket, timeoutMs: number, onTimeout?: () => void): () => void {
  if (!(timeoutMs > 0) || ws.readyState === WebSocket.CLOSED) return noop;
  let heard = false;
  let quietTicks = 0;
  let disposed = false;

  const hear = (): void => {
    heard = true;
  };
  const tick = (): void => {
    if (heard) {
      heard = false;
      quietTicks = 0;
      return;
    }
    quietTicks++;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (quietTicks === 1) {
      ws.ping();
      return;
    }
    dispose();
    onTimeout?.();
    ws.close(INACTIVITY_CLOSE_CODE, INACTIVITY_CLOSE_REASON);
    ws.terminate();
  };
  const timer = setInterval(tick, Math.max(1, Math.floor(timeoutMs / 2)));
  timer.unref();

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    clearInterval(timer);
    ws.removeListener('message', hear);
    ws.removeListener('pong', hear);
    ws.removeListener('ping', hear);
    ws.removeListener('close', dispose);
  }

  ws.on('message', hear);
  ws.on('pong', hear);
  ws.on('ping', hear);
  ws.on('close', dispose);
  return dispose;
}

function noop(): void {}

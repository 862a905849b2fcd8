/**
 * WebSocket close codes (RFC 6455 §7.4.1) and the short texts the copy loop puts in close frames and PipeResults.
 */

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
/** What a close frame without a code is reported as; never sent. */
export const CLOSE_NO_STATUS = 1005;
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INTERNAL_ERROR = 1011;

/**
 * Why a pipe ended, in a few words fit for a metric's label: a side closed cleanly, was lost (its connection gone
 * without a close), or failed (a backend's error; a client's protocol violation, oversized message or ping flood);
 * or the client was quiet past `ws.inactivity.timeout`. The log line's reason says the same in full.
 */
export type CloseCause = 'downstream_closed' | 'downstream_lost' | 'downstream_error' | 'inactivity' | 'idle' | 'upstream_closed' | 'upstream_lost' | 'upstream_error';

/** The close reason `ws.inactivity.timeout` sends (heartbeat.ts), and by which its failure is told from others. */
export const INACTIVITY_CLOSE_REASON = 'inactivity timeout';

/** A side that ended: cleanly, or lost (no close frame, or destroyed by its owner). */
export function endedCause(side: 'downstream' | 'upstream', lost: boolean): CloseCause {
  if (side === 'downstream') return lost ? 'downstream_lost' : 'downstream_closed';
  return lost ? 'upstream_lost' : 'upstream_closed';
}

/**
 * A side that failed, by the description its end gave. A byte stream fails only by its socket's error (a reset, a
 * timeout): a client that went, where a WebSocket client fails by what it sent.
 */
export function failedCause(side: 'downstream' | 'upstream', description: string, kind: 'bytes' | 'messages'): CloseCause {
  if (side === 'upstream') return 'upstream_error';
  if (kind === 'bytes') return 'downstream_lost';
  return description === INACTIVITY_CLOSE_REASON ? 'inactivity' : 'downstream_error';
}

/** A close frame's payload is at most 125 bytes: two for the code, so 123 for the UTF-8 reason (RFC 6455 §5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Cuts `text` to at most 123 UTF-8 bytes without splitting a character (ws throws on a longer reason). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > MAX_CLOSE_REASON_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The system or library code of an error (`ECONNRESET`, `WS_ERR_INVALID_UTF8`), else its message. */
export function errorName(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}

// ws marks its protocol errors with the close code it sends under a private symbol (`Symbol('status-code')`);
// the table below covers the same errors by their public `code` should that symbol ever change.
const WS_ERROR_STATUS: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/** The close code ws sends when it fails a connection for this error: 1002 (protocol error) unless it says more. */
export function wsErrorStatus(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    for (const sym of Object.getOwnPropertySymbols(err)) {
      if (sym.description === 'status-code') {
        const status = (err as Record<symbol, unknown>)[sym];
        if (typeof status === 'number') return status;
      }
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code in WS_ERROR_STATUS) return WS_ERROR_STATUS[code] ?? 1002;
  }
  return 1002;
}

/** 'message too big (1009)', 'invalid UTF-8 (1007)', 'protocol error (1002): Invalid WebSocket frame: …'. */
export function describeWsError(err: unknown, status: number): string {
  switch (status) {
    case 1009:
      return 'message too big (1009)';
    case 1007:
      return 'invalid UTF-8 (1007)';
    case 1008:
      return `policy violation (1008): ${err instanceof Error ? err.message : String(err)}`;
    default:
      return `protocol error (${status}): ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * The WebSocket wire format (RFC 6455 §5.2), only as much as a load client needs: masked frames to send, and an
 * incremental reader for what the server sends back. Payloads are handed on as they arrive, without gathering a
 * whole message, so a reader keeps up with multi-MiB streams at no copying cost.
 */
import { createHash, randomBytes } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One complete frame (FIN set). The payload is masked with `maskKey`, as RFC 6455 §5.3 requires of clients. */
export function encodeFrame(payload: Buffer, opcode: number = OPCODE.binary, maskKey: Buffer = randomBytes(4)): Buffer {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLen + 4 + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  maskKey.copy(frame, headerLen, 0, 4);
  const body = headerLen + 4;
  for (let i = 0; i < len; i++) frame[body + i] = (payload[i] as number) ^ (maskKey[i & 3] as number);
  return frame;
}

/** The close frame a client sends: status code and no reason. */
export function closeFrame(code = 1000): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return encodeFrame(payload, OPCODE.close);
}

export interface FrameHandlers {
  /** A piece of a text, binary or continuation frame's payload, in order. */
  data(chunk: Buffer): void;
  /** A complete control frame (close, ping, pong). */
  control(opcode: number, payload: Buffer): void;
}

/** Reads frames from a byte stream cut at arbitrary places. Masked frames (a client's) are unmasked. */
export class FrameReader {
  readonly #handlers: FrameHandlers;
  readonly #head = Buffer.alloc(14);
  #headLen = 0;
  #headNeed = 2;
  #inPayload = false;
  #remaining = 0;
  #opcode = 0;
  #mask: Buffer | undefined;
  #maskPos = 0;
  #control: Buffer[] = [];

  constructor(handlers: FrameHandlers) {
    this.#handlers = handlers;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.#inPayload) {
        const n = Math.min(this.#headNeed - this.#headLen, chunk.length - i);
        chunk.copy(this.#head, this.#headLen, i, i + n);
        this.#headLen += n;
        i += n;
        if (this.#headLen === 2) this.#headNeed = 2 + lengthBytes(this.#head[1] as number) + ((this.#head[1] as number) & 0x80 ? 4 : 0);
        if (this.#headLen === this.#headNeed) this.#startPayload();
        continue;
      }
      const n = Math.min(this.#remaining, chunk.length - i);
      let piece = chunk.subarray(i, i + n);
      i += n;
      if (this.#mask) piece = this.#unmask(piece);
      this.#remaining -= n;
      if (this.#opcode >= 0x8) this.#control.push(piece);
      else if (piece.length > 0) this.#handlers.data(piece);
      if (this.#remaining === 0) this.#endFrame();
    }
  }

  #startPayload(): void {
    const b1 = this.#head[1] as number;
    this.#opcode = (this.#head[0] as number) & 0x0f;
    const code = b1 & 0x7f;
    let offset = 2;
    if (code === 126) {
      this.#remaining = this.#head.readUInt16BE(2);
      offset = 4;
    } else if (code === 127) {
      this.#remaining = Number(this.#head.readBigUInt64BE(2));
      offset = 10;
    } else {
      this.#remaining = code;
    }
    this.#mask = b1 & 0x80 ? Buffer.from(this.#head.subarray(offset, offset + 4)) : undefined;
    this.#maskPos = 0;
    this.#inPayload = true;
    if (this.#remaining === 0) this.#endFrame();
  }

  #unmask(piece: Buffer): Buffer {
    const mask = this.#mask as Buffer;
    const out = Buffer.allocUnsafe(piece.length);
    for (let j = 0; j < piece.length; j++) out[j] = (piece[j] as number) ^ (mask[(this.#maskPos + j) & 3] as number);
    this.#maskPos = (this.#maskPos + piece.length) & 3;
    return out;
  }

  #endFrame(): void {
    if (this.#opcode >= 0x8) {
      const payload = Buffer.concat(this.#control);
      this.#control = [];
      this.#handlers.control(this.#opcode, payload);
    }
    this.#inPayload = false;
    this.#headLen = 0;
    this.#headNeed = 2;
  }
}

function lengthBytes(b1: number): number {
  const code = b1 & 0x7f;
  return code === 126 ? 2 : code === 127 ? 8 : 0;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** The HTTP/1.1 upgrade request (RFC 6455 §4.1). */
export function upgradeRequest(hostHeader: string, path: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/**
 * Checks the server's answer to an upgrade request: status 101 and the Sec-WebSocket-Accept that proves it read our
 * key. `head` is everything before the blank line. Throws an Error naming what is wrong.
 */
export function checkUpgradeResponse(head: string, key: string): void {
  const lines = head.split('\r\n');
  const status = lines[0] ?? '';
  if (!/^HTTP\/1\.1 101\b/.test(status)) throw new Error(`upgrade refused: "${status}"`);
  const accept = lines
    .slice(1)
    .map((l) => /^sec-websocket-accept:\s*(.*)$/i.exec(l)?.[1]?.trim())
    .find((v) => v !== undefined);
  if (accept !== acceptKey(key)) throw new Error(`upgrade answered with a wrong Sec-WebSocket-Accept: "${accept ?? '(none)'}"`);
}

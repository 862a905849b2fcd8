/**
 * `ws-relay`: the floor for a WebSocket relay on Node's TLS. tls.createServer with mutual TLS, as `tls-relay`,
 * plus the least a WebSocket-to-TCP relay must do: read the upgrade request's head by hand (no http module),
 * answer 101, unmask the client's frames onto the backend and frame the backend's bytes back (no ws). It checks
 * nothing a product must check (no routing, no limits, no Origin), so the gateway cannot be cheaper than it;
 * what it costs above `tls-relay` is what WebSocket itself costs in Node.
 * Run as `ws-relay.js CERT KEY CA SINK_PORT`; prints `{"port":N}` once it listens.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { createRequire } from 'node:module';

/** The native unmasking ws uses too (the gateway depends on it), so this relay pays no more per byte than ws does. */
const { unmask } = createRequire(import.meta.url)('bufferutil') as { unmask(buffer: Buffer, mask: Buffer): void };

const [cert, key, ca, sinkPort] = process.argv.slice(2);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');
const KEY_HEADER = /^sec-websocket-key:[ \t]*([A-Za-z0-9+/=]+)[ \t]*$/im;

function frameHeader(length: number, opcode: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x80 | opcode;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

/** The length of the (masked) frame header at `at` in `b`, or 0 when the bytes from `at` to `end` do not hold it whole. */
function headerLength(b: Buffer, at: number, end = b.length): number {
  if (end - at < 2) return 0;
  const short = b[at + 1]! & 0x7f;
  const length = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + 4;
  return end - at >= length ? length : 0;
}

/**
 * The client's frames, unmasked onto the backend as their bytes arrive (a large frame is never held whole); a close
 * frame is answered and ends both sides.
 */
class Relay {
  /** The header of the frame being read, until it is whole (at most 14 bytes). */
  #header = Buffer.alloc(14);
  #headerLength = 0;
  #opcode = 0;
  #mask = Buffer.alloc(4);
  #maskOffset = 0;
  /** Payload bytes of the current frame still to come; -1 while its header is being read. */
  #remaining = -1;
  #close: Buffer[] = [];

  constructor(
    readonly client: TLSSocket,
    readonly backend: Socket,
  ) {}

  #corked = false;
  /** The backend's writableLength when it was corked: what it holds beyond that is what this turn wrote. */
  #corkedAt = 0;
  #deferred = false;

  onClientData(chunk: Buffer): void {
    // The frames of one read leave in one write to the backend; a read that wrote 8 KiB or more (most likely one TLS
    // record of several) is held for the rest of the turn's I/O, or until 64 KiB are held, as the gateway's are
    // (src/pipe/ends.ts).
    if (!this.#corked) {
      this.#corked = true;
      this.#corkedAt = this.backend.writableLength;
      this.backend.cork();
    }
    try {
      this.#read(chunk);
    } finally {
      const held = this.backend.writableLength - this.#corkedAt;
      if (held >= 65536 || (!this.#deferred && held < 8192)) {
        this.#flush();
      } else if (!this.#deferred) {
        this.#deferred = true;
        setImmediate(this.#endOfTurn);
      }
    }
  }

  #flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.backend.uncork();
  }

  readonly #endOfTurn = (): void => {
    this.#deferred = false;
    this.#flush();
  };

  #read(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining < 0) {
        // Usually the whole header is in this chunk: read in place. Otherwise it is gathered byte by byte.
        const whole = this.#headerLength === 0 ? headerLength(chunk, at) : 0;
        if (whole > 0) {
          this.#begin(chunk, at, whole);
          at += whole;
        } else {
          this.#header[this.#headerLength++] = chunk[at++]!;
          this.#headerDone();
        }
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      const payload = chunk.subarray(at, at + take);
      unmask(payload, this.#maskAt(this.#maskOffset));
      this.#maskOffset += take;
      this.#remaining -= take;
      at += take;
      if (this.#opcode === 0x8) this.#close.push(Buffer.from(payload));
      else if (this.#opcode <= 0x2 && take > 0) this.backend.write(payload);
      if (this.#remaining === 0) this.#frameDone();
    }
  }

  /** The mask as it applies from `offset` into the payload, for a payload that arrives in pieces. */
  #maskAt(offset: number): Buffer {
    const shift = offset & 3;
    if (shift === 0) return this.#mask;
    const m = this.#mask;
    return Buffer.from([m[shift]!, m[(shift + 1) & 3]!, m[(shift + 2) & 3]!, m[(shift + 3) & 3]!]);
  }

  /** Decodes the gathered header once enough of it has arrived. */
  #headerDone(): void {
    const length = headerLength(this.#header, 0, this.#headerLength);
    if (length === 0) return;
    this.#headerLength = 0;
    this.#begin(this.#header, 0, length);
  }

  /** Starts the frame whose whole header (`length` bytes) is at `at` in `h`. */
  #begin(h: Buffer, at: number, length: number): void {
    const short = h[at + 1]! & 0x7f;
    this.#opcode = h[at]! & 0x0f;
    this.#remaining = short === 126 ? h.readUInt16BE(at + 2) : short === 127 ? Number(h.readBigUInt64BE(at + 2)) : short;
    h.copy(this.#mask, 0, at + length - 4, at + length);
    this.#maskOffset = 0;
    if (this.#remaining === 0) this.#frameDone();
  }

  #frameDone(): void {
    this.#remaining = -1;
    if (this.#opcode !== 0x8) return;
    const payload = Buffer.concat(this.#close);
    this.client.end(Buffer.concat([frameHeader(payload.length, 0x8), payload]));
    this.backend.end();
  }
}

const server = createServer({ cert: readFileSync(cert as string), key: readFileSync(key as string), ca: readFileSync(ca as string), requestCert: true, rejectUnauthorized: true }, (client) => {
  client.setNoDelay(true);
  client.on('error', () => client.destroy());
  let head: Buffer = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(HEAD_END);
    if (end < 0) {
      if (head.length > 8192) client.destroy();
      return;
    }
    client.off('data', onHead);
    const key = KEY_HEADER.exec(head.toString('latin1', 0, end));
    if (key === null) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const backend = connect({ host: '127.0.0.1', port: Number(sinkPort), noDelay: true });
    const relay = new Relay(client, backend);
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.end());
    backend.on('data', (data: Buffer) => {
      client.cork();
      client.write(frameHeader(data.length, 0x2));
      client.write(data);
      client.uncork();
    });
    const accept = createHash('sha1').update(key[1] + GUID).digest('base64');
    const rest = head.subarray(end + HEAD_END.length);
    // Answered a turn after the read that brought the request, as the gateway does: written from inside it, the
    // answer would keep one of OpenSSL's 16 KiB record buffers for the connection's life (bench/findings.md).
    client.pause();
    setImmediate(() => {
      client.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      client.on('data', (data: Buffer) => relay.onClientData(data));
      if (rest.length > 0) relay.onClientData(rest);
      client.resume();
    });
  };
  client.on('data', onHead);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));

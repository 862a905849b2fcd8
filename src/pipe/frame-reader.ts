/**
 * ws's frame reader (its `Receiver`) takes every field of a frame out of the chunks the socket delivered with
 * `consume(n)`, which returns a new Buffer view for the field and makes another for the rest of the chunk: eight
 * Buffer objects for each masked frame of 126 to 65,535 bytes, before its payload is touched. For a relay of small
 * messages that is much of what a message costs: in a CPU profile of bulk at 512 B, `consume` and the views it made
 * were 14% of the gateway's busy time, and the garbage they left a part of the 8% spent collecting it
 * (docs/PERFORMANCE.md).
 *
 * `readFramesInPlace` replaces six of the reader's methods, for every WebSocket in the process:
 * - `consume` keeps an offset into the first chunk instead of a view of its rest, so a payload costs one Buffer;
 * - a frame's first two bytes, its 16-bit payload length and its masking key are read from the chunk in place when
 *   it holds them (the two bytes and the key into four bytes the reader keeps), so they cost none;
 * - a binary payload that spans chunks, for a WebSocket that takes messages as fragments, is unmasked piece by piece
 *   where it lies instead of being copied into one Buffer first;
 * - for a WebSocket whose messages go on to a byte stream (`streamBinaryPayloads`), where their boundaries are lost
 *   anyway, a binary payload is handed on whenever STREAM_FROM_BYTES of it are held, rather than once the whole
 *   message has arrived, in one frame or many: how much of a large message the gateway holds is then bounded by what
 *   backpressure allows, not by `ws.maximum.message.size`;
 * - once a read is through, the small fragments a message still to finish holds are copied out of the reads they
 *   came in (holdFragments), so that a message holds about its own size, however it was cut into frames;
 * - a read of more than FRAMES_PER_RUN frames is read that many at a time, one run a turn of the event loop, so that a
 *   flood of tiny frames cannot hold every other connection of the process;
 * - a WebSocket whose reading is held (`holdReading`, with its pause) stops within FRAMES_PAST_HOLD frames, not at
 *   the end of what its socket has delivered, so that backpressure bounds a flood of tiny messages as it bounds large
 *   ones; unless the peer's close frame is among what it delivered, which is read as before.
 * What the reader accepts and refuses is unchanged, and so are the events it emits, except that as fragments a message
 * may come in more pieces, and a streamed one in several 'message' events, the first before the rest has arrived (a
 * frame that breaks the rules later then fails the connection after part of its message went on). The methods are ws's
 * private ones, written against ws 8.23: with another version, or a reader not in the shape they are written for, they
 * are not installed, and WebSockets work as before, at the old cost. Tests feed the same frames, cut at random places,
 * through the reader with and without them.
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import * as ws from 'ws';

/** ws's own unmasking (native where built); it has no type declarations. */
const { unmask } = createRequire(import.meta.url)('bufferutil') as { unmask(buffer: Buffer, mask: Buffer): void };

/** Buffer's own constructor of views, without the checks and species lookup of `subarray` (ws uses it too). */
const View = (Buffer as unknown as { [Symbol.species]: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer })[Symbol.species];

function view(chunk: Buffer, offset: number, length: number): Buffer {
  return new View(chunk.buffer, chunk.byteOffset + offset, length);
}

/** The reader's private fields these methods use, and the ones they add. */
interface ReaderState {
  _buffers: Buffer[];
  _bufferedBytes: number;
  _payloadLength: number;
  _mask: Buffer | undefined;
  _state: number;
  _loop: boolean;
  _opcode: number;
  /** The opcode of the message whose frames are being read, until its last; 0 between messages. */
  _fragmented: number;
  _compressed: boolean;
  _binaryType: string;
  _masked: boolean;
  _maxFragments: number;
  _numFragments: number;
  _messageLength: number;
  _totalPayloadLength: number;
  _fragments: Buffer[];
  _allowSynchronousEvents: boolean;
  haveLength(cb: unknown): void;
  dataMessage(cb: unknown): void;
  startLoop(cb: unknown): void;
  _write(chunk: Buffer, encoding: string, cb: (err?: Error | null) => void): void;
  emit(event: 'message', data: Buffer[], isBinary: boolean): boolean;
  /** Hand a binary payload on once this many bytes of it are held (streamBinaryPayloads); absent or 0: never. */
  _streamFrom?: number;
  /** Bytes of `_buffers[0]` already consumed. Absent (0) on a reader that has read nothing since the change. */
  _offset?: number;
  /**
   * Four bytes of the reader's own: a frame's first two bytes while ws's `getInfo` reads them, then its masking key
   * until its payload is unmasked. The two uses never overlap: the next frame's first bytes come after the payload.
   */
  _scratch?: Buffer;
  /** Set while ws's own `getInfo` runs: its one `consume(2)` is the frame's first two bytes. */
  _readingInfo?: boolean;
  /** The socket of a WebSocket whose reading is held (holdReading): the reader stops within FRAMES_PAST_HOLD frames. */
  _holdFor?: Duplex;
  /** Frames read since the hold was asked for (FRAMES_PAST_HOLD). */
  _framesHeld?: number;
  /** A read left unfinished by a hold: its acknowledgement, and what goes on with it should the socket close first. */
  _holding?: Holding;
  /** Frames begun in this run of the reader's loop (FRAMES_PER_RUN). */
  _framesRun?: number;
  /** The `_fragments` array holdFragments last went over, how many of its first fragments it made its own, and their bytes. */
  _heldOf?: Buffer[];
  _heldOwned?: number;
  _heldBytes?: number;
}

interface Holding {
  readonly cb: unknown;
  readonly socket: Duplex;
  readonly onClose: () => void;
}

type ReaderMethod = (this: ReaderState, ...args: never[]) => unknown;

interface ReaderPrototype {
  consume: ReaderMethod;
  getPayloadLength16: ReaderMethod;
  getMask: ReaderMethod;
  getInfo: ReaderMethod;
  getData: ReaderMethod;
  haveLength: ReaderMethod;
  dataMessage: ReaderMethod;
  startLoop: ReaderMethod;
}

interface ReaderClass {
  prototype: ReaderPrototype;
  new (options: { isServer: boolean; allowSynchronousEvents?: boolean }): ReaderState;
}

/** The first `n` buffered bytes, taken out: a view where one chunk holds them, a copy where they span chunks. */
function consume(this: ReaderState, n: number): Buffer {
  if (this._readingInfo === true) {
    this._readingInfo = false;
    const at = n <= 4 ? inPlace(this, n) : -1;
    if (at >= 0) return copied(this, at, n);
  }
  this._bufferedBytes -= n;
  const chunk = this._buffers[0] as Buffer;
  const offset = this._offset ?? 0;
  const left = chunk.length - offset;
  if (n < left) {
    this._offset = offset + n;
    return view(chunk, offset, n);
  }
  if (n === left) {
    this._buffers.shift();
    this._offset = 0;
    return offset === 0 ? chunk : view(chunk, offset, n);
  }
  const out = Buffer.allocUnsafe(n);
  eachPiece(this, n, (piece, at) => piece.copy(out, at));
  return out;
}

/**
 * Walks the first `n` buffered bytes, which span chunks, as the piece each chunk holds (a view, or the chunk itself)
 * and its offset among them, and takes them out. The caller counts them out of `_bufferedBytes`.
 */
function eachPiece(reader: ReaderState, n: number, each: (piece: Buffer, at: number) => void): void {
  let at = 0;
  let from = reader._offset ?? 0;
  while (at < n) {
    const chunk = reader._buffers[0] as Buffer;
    const take = Math.min(n - at, chunk.length - from);
    each(from === 0 && take === chunk.length ? chunk : view(chunk, from, take), at);
    at += take;
    if (from + take === chunk.length) {
      reader._buffers.shift();
      from = 0;
    } else {
      from += take;
    }
  }
  reader._offset = from;
}

/**
 * Where the first chunk holds more than the `n` bytes asked for, their offset in it, counted as consumed; otherwise
 * -1, and `consume` takes them (and drops the chunk it empties, as ws does: the reader counts the chunks it holds).
 */
function inPlace(reader: ReaderState, n: number): number {
  const chunk = reader._buffers[0] as Buffer;
  const offset = reader._offset ?? 0;
  if (chunk.length - offset <= n) return -1;
  reader._offset = offset + n;
  reader._bufferedBytes -= n;
  return offset;
}

/** `n` (at most 4) bytes of the first chunk from `at`, copied into the reader's scratch bytes. */
function copied(reader: ReaderState, at: number, n: number): Buffer {
  const scratch = (reader._scratch ??= Buffer.allocUnsafeSlow(4));
  const chunk = reader._buffers[0] as Buffer;
  for (let i = 0; i < n; i++) scratch[i] = chunk[at + i] as number;
  return scratch;
}

/** The state ws's `getMask` moves to, found when the methods are installed. */
let afterMask = -1;

function getPayloadLength16(this: ReaderState, cb: unknown): void {
  if (this._bufferedBytes < 2) {
    this._loop = false;
    return;
  }
  const at = inPlace(this, 2);
  if (at >= 0) {
    const chunk = this._buffers[0] as Buffer;
    this._payloadLength = ((chunk[at] as number) << 8) | (chunk[at + 1] as number);
  } else {
    this._payloadLength = consume.call(this, 2).readUInt16BE(0);
  }
  this.haveLength(cb);
}

function getMask(this: ReaderState): void {
  if (this._bufferedBytes < 4) {
    this._loop = false;
    return;
  }
  const at = inPlace(this, 4);
  // Copied into bytes the reader keeps rather than viewed: a view is an object made for every frame.
  this._mask = at >= 0 ? copied(this, at, 4) : consume.call(this, 4);
  this._state = afterMask;
}

let ownGetData: ReaderMethod | undefined;

/**
 * The smallest average piece handed on as it lies, where a payload lies in more than two. A peer that sends tiny TLS
 * records would otherwise turn one frame into as many pieces as records, each a write of its own and an object held
 * until written; smaller pieces are joined, as ws joins them. Two pieces, the most a payload smaller than a full TLS
 * read spans, are always handed on: joining them was a new Buffer and a copy for about one message in four at 4 KiB
 * towards a byte stream (towards a WebSocket, the copy is made when the message is sent on instead).
 */
const MIN_PIECE_BYTES = 4096;

/** Whether the first `n` buffered bytes lie in at most two pieces, or in pieces of MIN_PIECE_BYTES or more on average. */
function largePieces(reader: ReaderState, n: number): boolean {
  let held = -(reader._offset ?? 0);
  let pieces = 0;
  for (const chunk of reader._buffers) {
    held += chunk.length;
    pieces++;
    if (held >= n) break;
  }
  return pieces <= 2 || n >= pieces * MIN_PIECE_BYTES;
}

/**
 * Whether this frame's payload may be handed on in pieces: binary, not compressed, read by a WebSocket that takes
 * messages as fragments, and within the fragment limit (a frame past it fails once whole, as in ws).
 */
function piecewise(reader: ReaderState): boolean {
  return (
    reader._opcode === 2 &&
    !reader._compressed &&
    reader._binaryType === 'fragments' &&
    !(reader._maxFragments > 0 && reader._numFragments + 1 > reader._maxFragments)
  );
}

/**
 * A binary frame whose payload spans chunks, read by a WebSocket that takes messages as fragments (the pipe's ends
 * do): each piece is unmasked where it lies and becomes a fragment of its own, where ws would copy the pieces into one
 * new Buffer first. At 64 KiB a message spans four TLS reads or more, and the copy was 8% of the gateway's busy time.
 * Anything else, including a frame that breaks the fragment limit, is ws's own.
 */
function getData(this: ReaderState, cb: unknown): void {
  const n = this._payloadLength;
  if (n > this._bufferedBytes && streams(this)) {
    handOnHeld(this);
    return;
  }
  const spans = n > 0 && this._bufferedBytes >= n && (this._buffers[0] as Buffer).length - (this._offset ?? 0) < n;
  const own = !spans || !piecewise(this) || !largePieces(this, n);
  if (own) {
    (ownGetData as (this: ReaderState, cb: unknown) => void).call(this, cb);
    return;
  }
  this._bufferedBytes -= n;
  takePieces(this, n, this._fragments);
  this._mask = undefined;
  if (this._maxFragments > 0) this._numFragments++;
  this._messageLength = this._totalPayloadLength;
  this.dataMessage(cb);
}

let ownStartLoop: ReaderMethod | undefined;

/**
 * ws's loop over what a read brought, at most FRAMES_PER_RUN frames of it (getInfo); then what a message still to
 * finish holds is made its own (holdFragments).
 */
function startLoop(this: ReaderState, cb: unknown): void {
  this._framesRun = 0;
  (ownStartLoop as (this: ReaderState, cb: unknown) => void).call(this, cb);
  if (this._fragments.length > 0 || this._heldOf !== undefined) holdFragments(this);
}

/** Below this, a fragment held for its message's last frame is copied out of its read and joined with its neighbours. */
const HELD_PIECE_BYTES = 16384;

/**
 * After each read, the fragments of a message whose last frame is still to come, which are held until it comes. Each
 * is a view of the read it came in, and keeps that read whole: a peer that sends a message as thousands of one-byte
 * frames, each in a read of its own behind bytes that fill it (pongs nobody asked for), would have the gateway hold
 * thousands of reads of up to 64 KiB, though the message stays within ws.maximum.message.size and ws's fragment limit
 * (16,384). So the fragments smaller than HELD_PIECE_BYTES that a read left held are copied out, joined into one piece
 * with each other and with the small piece held before them, and what a message holds is about its own size; larger
 * fragments keep at most a few times their size. Done once a read is through, so that a message that begins and ends
 * in one read (most do) is never copied. Towards a byte stream (streamBinaryPayloads), a binary message's held
 * fragments go on once STREAM_FROM_BYTES of them are held, as a frame's payload does: message boundaries are lost
 * there anyway, and backpressure bounds the rest.
 */
function holdFragments(reader: ReaderState): void {
  const fragments = reader._fragments;
  if (fragments.length === 0) {
    // The message was handed on: nothing of it is kept here.
    reader._heldOf = undefined;
    return;
  }
  if (reader._heldOf !== fragments) {
    reader._heldOf = fragments;
    reader._heldOwned = 0;
    reader._heldBytes = 0;
  }
  let held = reader._heldBytes ?? 0;
  const fresh = fragments.splice(reader._heldOwned ?? 0);
  let run: Buffer[] = [];
  let runBytes = 0;
  let runFresh = false;
  const flush = (): void => {
    if (run.length === 0) return;
    fragments.push(runFresh ? joined(run, runBytes) : (run[0] as Buffer));
    run = [];
    runBytes = 0;
    runFresh = false;
  };
  // A small piece held already is one made here: the small fragments after it join it.
  const last = fragments[fragments.length - 1];
  if (last !== undefined && last.length < HELD_PIECE_BYTES && fresh.length > 0) {
    fragments.pop();
    run.push(last);
    runBytes = last.length;
  }
  for (const fragment of fresh) {
    held += fragment.length;
    if (fragment.length >= HELD_PIECE_BYTES) {
      flush();
      fragments.push(fragment);
      continue;
    }
    run.push(fragment);
    runBytes += fragment.length;
    runFresh = true;
    if (runBytes >= HELD_PIECE_BYTES) flush();
  }
  flush();
  reader._heldOwned = fragments.length;
  reader._heldBytes = held;
  const from = reader._streamFrom ?? 0;
  // The frame read last may be a control frame between the message's: the message's own opcode says it is binary.
  if (from > 0 && held >= from && reader._fragmented === 2 && reader._binaryType === 'fragments' && reader._allowSynchronousEvents) {
    reader._fragments = [];
    reader._heldOf = undefined;
    reader.emit('message', fragments, true);
  }
}

/** `pieces` (`bytes` in all) copied into one Buffer of its own memory. */
function joined(pieces: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  for (const piece of pieces) at += piece.copy(out, at);
  return out;
}

/** The masking key, where the frame has one that changes anything. */
function keyOf(reader: ReaderState): Buffer | undefined {
  const mask = reader._masked ? reader._mask : undefined;
  return mask !== undefined && mask.readUInt32BE(0) !== 0 ? mask : undefined;
}

/**
 * `key` turned to a piece that starts `at` bytes into the payload: `key` itself where `at` is a multiple of four, else
 * written into `into` (a new Buffer by default).
 */
function turned(key: Buffer, at: number, into?: Buffer): Buffer {
  if ((at & 3) === 0) return key;
  const out = into ?? Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) out[i] = key[(at + i) & 3] as number;
  return out;
}

/**
 * The turned key of one piece, for the unmask that follows at once: one Buffer for the process rather than one per
 * piece (a 64 KiB message arrives in four pieces or more). Never held past that call.
 */
const PIECE_KEY = Buffer.alloc(4);

/** Takes the first `n` buffered payload bytes (spanning chunks) out, unmasked where they lie, into `into`. */
function takePieces(reader: ReaderState, n: number, into: Buffer[]): void {
  const key = keyOf(reader);
  eachPiece(reader, n, (piece, at) => {
    if (key) unmask(piece, turned(key, at, PIECE_KEY));
    into.push(piece);
  });
}

/**
 * Bytes of a binary payload held before they are handed on, where the WebSocket's messages go on to a byte stream: a
 * message of 64 KiB or less, the common large one, still goes on whole, in one write.
 */
export const STREAM_FROM_BYTES = 65536;

/** Whether the part of a binary payload held so far goes on now (the rest is still to come). */
function streams(reader: ReaderState): boolean {
  const from = reader._streamFrom ?? 0;
  return from > 0 && reader._bufferedBytes >= from && reader._allowSynchronousEvents && piecewise(reader);
}

/**
 * Hands on every byte held of a binary payload whose rest is still to come, unmasked, as one 'message' of fragments
 * (after the earlier frames of the same message, which ws kept to hand on with its last). The key is turned for the
 * rest, which ws's own getData or the one above reads as the payload it then is.
 */
function handOnHeld(reader: ReaderState): void {
  const held = reader._bufferedBytes;
  const key = keyOf(reader);
  const pieces = reader._fragments;
  reader._fragments = [];
  if (largePieces(reader, held)) {
    reader._bufferedBytes = 0;
    takePieces(reader, held, pieces);
  } else {
    // Tiny pieces are joined first, as ws joins them (MIN_PIECE_BYTES).
    const joined = consume.call(reader, held);
    if (key) unmask(joined, key);
    pieces.push(joined);
  }
  reader._payloadLength -= held;
  if (key) {
    // Kept in the reader's own four bytes: a view of the chunk would hold the whole chunk while the rest comes.
    const next = turned(key, held);
    const scratch = (reader._scratch ??= Buffer.allocUnsafeSlow(4));
    if (next !== scratch) for (let i = 0; i < 4; i++) scratch[i] = next[i] as number;
    reader._mask = scratch;
  }
  reader._loop = false;
  reader.emit('message', pieces, true);
}

let ownGetInfo: ReaderMethod | undefined;

/**
 * The most frames one run of the reader reads before it lets the event loop turn. ws reads every frame of a read in
 * one synchronous run, and a 64 KiB read of empty frames is 32,768 of them: a peer that sends such floods held every
 * other connection of the process for up to a second per read. Past this many, the rest waits for the next turn, as
 * ws defers a message when told not to emit synchronously, and the read is acknowledged only once all of it is read,
 * so that the socket stops being read meanwhile. A read of ordinary messages (127 of 512 bytes) never gets here.
 */
const FRAMES_PER_RUN = 1024;

/** The reader's states for a frame's first bytes and for a deferred event, found when the methods are installed. */
let getInfoState = -1;
let deferredState = -1;

function getInfo(this: ReaderState, cb: unknown): void {
  if (this._bufferedBytes >= 2) {
    const holdFor = this._holdFor;
    if (holdFor !== undefined && !holdFor.destroyed && (this._framesHeld = (this._framesHeld ?? 0) + 1) > FRAMES_PAST_HOLD) {
      if (!closeAhead(this)) return hold(this, cb, holdFor);
      // The peer has sent its close: read on to it, as ws would, so that whoever holds the connection hears of it
      // (the pipe then bounds the rest with its close deadline) rather than waiting for the other side to drain.
      this._holdFor = undefined;
    }
    if ((this._framesRun = (this._framesRun ?? 0) + 1) > FRAMES_PER_RUN) {
      // ws's own loop returns at this state without acknowledging the read; this picks it up again next turn.
      this._state = deferredState;
      setImmediate(goOnReading, this, cb);
      return;
    }
  }
  this._readingInfo = true;
  try {
    (ownGetInfo as (this: ReaderState, cb: unknown) => void).call(this, cb);
  } finally {
    this._readingInfo = false;
  }
}

/**
 * Frames a held reader still reads before it stops. The rest of a read of ordinary messages (127 of 512 bytes) is read
 * as before, so that a pipe under backpressure is not stopped and started again for a few messages each time: that
 * cost bulk at 512 B 10% more CPU per MiB. A read of tiny ones stops this many frames after the pause.
 */
export const FRAMES_PAST_HOLD = 128;

/**
 * Whether the frames the reader still has, from the one it is about to read, include a close frame. Only their heads
 * are read, the first of each frame's bytes, so it costs a few reads of memory per frame, once per hold.
 */
function closeAhead(reader: ReaderState): boolean {
  const chunks = reader._buffers;
  let index = 0;
  // Where chunks[index] begins, counted from the first byte not yet read.
  let begins = -(reader._offset ?? 0);
  // The byte at `at`, for `at` never less than the last asked for; undefined past what is buffered.
  const byte = (at: number): number | undefined => {
    while (index < chunks.length && at >= begins + (chunks[index] as Buffer).length) begins += (chunks[index++] as Buffer).length;
    return index < chunks.length ? (chunks[index] as Buffer)[at - begins] : undefined;
  };
  let at = 0;
  for (;;) {
    const first = byte(at);
    const second = byte(at + 1);
    if (first === undefined || second === undefined) return false;
    if ((first & 0x0f) === 0x08) return true;
    let length = second & 0x7f;
    let head = 2;
    if (length >= 126) {
      head = length === 126 ? 4 : 10;
      length = 0;
      for (let i = 2; i < head; i++) {
        const b = byte(at + i);
        if (b === undefined) return false;
        length = length * 256 + b;
      }
    }
    at += head + ((second & 0x80) !== 0 ? 4 : 0) + length;
  }
}

function goOnReading(reader: ReaderState, cb: unknown): void {
  reader._state = getInfoState;
  reader.startLoop(cb);
}

/**
 * Stops the reader before the frame it was about to read, as the deferral above does, until holdReading lets it go
 * on, or its socket closes: ws reports a connection's close only once its reader has read all it was given, so a
 * reader held past its socket would hold the connection for good.
 */
function hold(reader: ReaderState, cb: unknown, socket: Duplex): void {
  reader._state = deferredState;
  const onClose = (): void => release(reader);
  reader._holding = { cb, socket, onClose };
  socket.once('close', onClose);
}

function release(reader: ReaderState): void {
  const holding = reader._holding;
  if (holding === undefined) return;
  reader._holding = undefined;
  holding.socket.removeListener('close', holding.onClose);
  // Not from inside the caller: a resume comes from a write's completion, and the messages read would be written
  // from within it.
  setImmediate(goOnReading, reader, holding.cb);
}

/** The ws these methods are written against: its `Receiver`'s fields and how its methods call `consume`. */
const WRITTEN_FOR = '8.23.';

/** Undefined once installed; otherwise why not. Decided on the first call. */
let refusal: string | undefined | null = null;

/**
 * The state ws's own `getMask` moves to (it reads the payload next), found by running it on a reader of its own;
 * undefined where the reader is not what these methods are written for.
 */
function stateAfterMask(Reader: ReaderClass): number | undefined {
  const proto = Reader.prototype;
  for (const name of ['consume', 'getInfo', 'getData', 'getPayloadLength16', 'getMask', 'haveLength', 'dataMessage', 'startLoop'] as const) {
    if (typeof proto[name] !== 'function') return undefined;
  }
  const probe = new Reader({ isServer: true });
  if (!Array.isArray(probe._buffers) || typeof probe._bufferedBytes !== 'number' || typeof probe._state !== 'number') return undefined;
  const key = Buffer.from([1, 2, 3, 4]);
  probe._buffers.push(Buffer.concat([key, Buffer.from([5])]));
  probe._bufferedBytes = 5;
  const before = probe._state;
  (proto.getMask as (this: ReaderState) => void).call(probe);
  const mask = probe._mask as unknown;
  const read = Buffer.isBuffer(mask) && mask.equals(key) && probe._bufferedBytes === 1 && probe._state !== before;
  return read ? probe._state : undefined;
}

/**
 * The reader's state for a frame's first bytes (a new reader's) and the one it defers an event in, found by having a
 * reader that may not emit synchronously read an empty binary frame; undefined where the reader is not what these
 * methods are written for.
 */
function deferStates(Reader: ReaderClass): { readonly getInfo: number; readonly deferred: number } | undefined {
  const probe = new Reader({ isServer: false, allowSynchronousEvents: false });
  const start = probe._state;
  probe._write(Buffer.from([0x82, 0x00]), 'buffer', () => undefined);
  const deferred = probe._state;
  return typeof start === 'number' && typeof deferred === 'number' && deferred !== start ? { getInfo: start, deferred } : undefined;
}

function install(): string | undefined {
  const version = (createRequire(import.meta.url)('ws/package.json') as { version?: unknown }).version;
  if (typeof version !== 'string' || !version.startsWith(WRITTEN_FOR)) return `it is written for ws ${WRITTEN_FOR}x, and ws is ${String(version)}`;
  // ws's ES module exports the class; its type declarations do not.
  const Reader = (ws as unknown as { Receiver?: ReaderClass }).Receiver;
  const state = Reader ? stateAfterMask(Reader) : undefined;
  const deferral = Reader && state !== undefined ? deferStates(Reader) : undefined;
  if (Reader === undefined || state === undefined || deferral === undefined) return `ws ${version}'s frame reader is not in the shape it is written for`;
  afterMask = state;
  getInfoState = deferral.getInfo;
  deferredState = deferral.deferred;
  Reader.prototype.consume = consume as ReaderMethod;
  Reader.prototype.getPayloadLength16 = getPayloadLength16 as ReaderMethod;
  Reader.prototype.getMask = getMask as ReaderMethod;
  ownGetInfo = Reader.prototype.getInfo;
  Reader.prototype.getInfo = getInfo as ReaderMethod;
  ownGetData = Reader.prototype.getData;
  Reader.prototype.getData = getData as ReaderMethod;
  ownStartLoop = Reader.prototype.startLoop;
  Reader.prototype.startLoop = startLoop as ReaderMethod;
  return undefined;
}

/**
 * Has `websocket` hand a binary message on in pieces of STREAM_FROM_BYTES or more as they arrive, for a side whose
 * messages go on to a byte stream; with `on` false, as ws does. Without the methods above in place it does nothing (ws then holds
 * a message until it is whole, as before). The WebSocket must take its messages as fragments.
 */
export function streamBinaryPayloads(websocket: ws.WebSocket, on: boolean): void {
  const reader = (websocket as unknown as { _receiver?: ReaderState | null })._receiver;
  if (reader) reader._streamFrom = on && refusal === undefined ? STREAM_FROM_BYTES : 0;
}

/**
 * Has `websocket` stop reading within FRAMES_PAST_HOLD frames while `on`, as `pause()` stops its socket. ws reads on
 * through what its socket has already delivered, up to a read of 64 KiB, after a pause: 32,768 messages, were they
 * empty, each a write queued towards the other side, where `maximum.pending.bytes` would have had the pipe stop after
 * a thousand or so. The frames left are read once it is let go (or its socket closes). A read that holds the peer's
 * close frame is read through, so that its close is heard. Without the methods above in place it does nothing.
 */
export function holdReading(websocket: ws.WebSocket, on: boolean): void {
  const reader = (websocket as unknown as { _receiver?: ReaderState | null })._receiver;
  if (!reader || refusal !== undefined) return;
  if (on) {
    reader._holdFor = (websocket as unknown as { _socket?: Duplex })._socket;
    reader._framesHeld = 0;
  } else {
    reader._holdFor = undefined;
    release(reader);
  }
}

/**
 * Makes every ws frame reader in the process take its bytes as above. Idempotent: the first call decides. Returns
 * undefined when the methods are in place, and otherwise why they are not (ws is then left as it is).
 */
export function readFramesInPlace(): string | undefined {
  if (refusal === null) refusal = install();
  return refusal;
}

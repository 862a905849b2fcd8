/**
 * MD5 (RFC 1321) for the one place the gateway needs it hot: JCEKS key protection (PBEWithMD5AndTripleDES) hashes
 * `previous digest ‖ password` 200 000 times per salt half. node:crypto costs about a microsecond per call in
 * object creation and binding crossings alone; this allocation-free version works on one reused block buffer and
 * is several times faster for these short, fixed-length inputs (numbers in bench/keystore.ts). It is verified
 * against node:crypto by a property test. MD5 is not used here for security, only to reproduce Java's derivation.
 */

// Per-round additive constants: floor(abs(sin(i + 1)) * 2^32).
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5,
  9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  6, 10, 15, 21];
const SHIFT = Int32Array.from(S);

/** Message word index used by each of the 64 steps. */
const G = new Int32Array(64);
for (let i = 0; i < 64; i++) {
  G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;
}

/** Compresses one 64-byte block (16 little-endian words in `m`) into `h`. */
function compress(h: Int32Array, m: Int32Array): void {
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    if (i < 16) f = (b & c) | (~b & d);
    else if (i < 32) f = (d & b) | (~d & c);
    else if (i < 48) f = b ^ c ^ d;
    else f = c ^ (b | ~d);
    const t = (a + f + K[i]! + m[G[i]!]!) | 0;
    const s = SHIFT[i]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
}

const INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

/**
 * A hasher for messages of one fixed length, padded once: each call rewrites only the message bytes, so the
 * inner loop allocates nothing.
 */
class FixedLengthMd5 {
  private readonly blocks: Uint8Array;
  private readonly words: Int32Array;
  private readonly view: DataView;
  private readonly nBlocks: number;
  private readonly state = new Int32Array(4);
  private readonly block = new Int32Array(16);

  constructor(readonly length: number) {
    this.nBlocks = Math.floor((length + 8) / 64) + 1;
    this.blocks = new Uint8Array(this.nBlocks * 64);
    this.view = new DataView(this.blocks.buffer);
    this.words = new Int32Array(this.nBlocks * 16);
    this.blocks[length] = 0x80;
    const bits = length * 8;
    this.view.setUint32(this.blocks.length - 8, bits >>> 0, true);
    this.view.setUint32(this.blocks.length - 4, Math.floor(bits / 0x100000000), true);
  }

  /** The buffer holding the message: write `length` bytes at offset 0, then call `digestInto`. */
  get input(): Uint8Array {
    return this.blocks;
  }

  digestInto(out: Uint8Array, outOffset: number): void {
    const { view, words, state, block } = this;
    const n = this.nBlocks * 16;
    for (let i = 0; i < n; i++) words[i] = view.getInt32(i * 4, true);
    state[0] = INIT[0]!;
    state[1] = INIT[1]!;
    state[2] = INIT[2]!;
    state[3] = INIT[3]!;
    for (let b = 0; b < this.nBlocks; b++) {
      for (let i = 0; i < 16; i++) block[i] = words[b * 16 + i]!;
      compress(state, block);
    }
    for (let i = 0; i < 4; i++) {
      const w = state[i]!;
      out[outOffset + i * 4] = w & 0xff;
      out[outOffset + i * 4 + 1] = (w >>> 8) & 0xff;
      out[outOffset + i * 4 + 2] = (w >>> 16) & 0xff;
      out[outOffset + i * 4 + 3] = (w >>> 24) & 0xff;
    }
  }
}

/** MD5 of any byte string (used by tests and for the first, odd-length round of a derivation). */
export function md5(data: Uint8Array): Uint8Array {
  const h = new FixedLengthMd5(data.length);
  h.input.set(data, 0);
  const out = new Uint8Array(16);
  h.digestInto(out, 0);
  return out;
}

/**
 * Java's PBEWithMD5AndTripleDES chain for one salt half: d₁ = MD5(seed ‖ password), dᵢ₊₁ = MD5(dᵢ ‖ password).
 * Returns d_rounds (16 bytes). `rounds` of 0 returns the seed unchanged, as Java's loop would.
 */
export function md5Chain(seed: Uint8Array, password: Uint8Array, rounds: number): Uint8Array {
  if (rounds <= 0) return Uint8Array.from(seed);
  const digest = new Uint8Array(16);
  const first = new Uint8Array(seed.length + password.length);
  first.set(seed, 0);
  first.set(password, seed.length);
  digest.set(md5(first), 0);
  if (rounds === 1) return digest;
  const h = new FixedLengthMd5(16 + password.length);
  const input = h.input;
  input.set(password, 16);
  for (let r = 1; r < rounds; r++) {
    input.set(digest, 0);
    h.digestInto(digest, 0);
  }
  return digest;
}

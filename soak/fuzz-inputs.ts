/**
 * What the fuzz scenario sends: valid inputs (WebSocket frames, upgrade requests, PROXY protocol v2 headers) built
 * from generated fields, then mutated byte by byte. Starting from valid inputs takes the fuzzing past the first
 * check each parser makes; the mutations then probe the checks after it.
 */
import fc from 'fast-check';

// ── mutations ─────────────────────────────────────────────────────────────────────────────────────────────────

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'repeat'; readonly from: number; readonly count: number };

const at = fc.nat({ max: 1 << 16 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.constantFrom(0x00, 0x7e, 0x7f, 0x80, 0xff, 0x0d, 0x0a, 0x20) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('repeat' as const), from: at, count: fc.integer({ min: 1, max: 32 }) }),
);

/** Positions are taken modulo the current length, so any mutation applies to any input. Never changes `base`. */
export function mutate(base: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of mutations) {
    const n = b.length;
    const pos = n === 0 ? 0 : ('at' in m ? m.at : m.from) % n;
    switch (m.kind) {
      case 'flip':
        if (n > 0) b[pos] = (b[pos] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (n > 0) b[pos] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, pos);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, pos), m.bytes, b.subarray(pos)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + m.count)]);
        break;
      case 'repeat': {
        const piece = b.subarray(pos, pos + m.count);
        b = Buffer.concat([b.subarray(0, pos), piece, piece, b.subarray(pos + m.count)]);
        break;
      }
    }
  }
  return Buffer.from(b);
}

/** Mostly none or one: an input with many mutations at once fails the first check and probes nothing after it. */
const mutations = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as Mutation[]) },
  { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 4 }) },
);

/** `valid` most of the time, one of `others` now and then: each field of an input is wrong on its own. */
function mostly<T>(valid: fc.Arbitrary<T>, others: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: others });
}

// ── WebSocket frames (RFC 6455 §5.2) ─────────────────────────────────────────────────────────────────────────

export interface FrameSpec {
  readonly fin: boolean;
  /** RSV1-3, which a peer must not set without an extension that defines them. */
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Uint8Array;
  /** 'minimal' is the only valid form; the others spell a short length the long way. */
  readonly lengthForm: 'minimal' | '16' | '64';
  readonly mask: Uint8Array;
}

/** Any frame, valid or not, exactly as specified. */
export function encodeFrameSpec(f: FrameSpec): Buffer {
  const len = f.payload.length;
  const form = f.lengthForm === 'minimal' ? (len < 126 ? 'short' : len < 65536 ? '16' : '64') : f.lengthForm;
  const head: number[] = [(f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f)];
  const maskBit = f.masked ? 0x80 : 0;
  if (form === 'short') head.push(maskBit | len);
  else if (form === '16') head.push(maskBit | 126, (len >> 8) & 0xff, len & 0xff);
  else head.push(maskBit | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff);
  const payload = Buffer.from(f.payload);
  if (f.masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (f.mask[i & 3] as number);
  return Buffer.concat([Buffer.from(head), f.masked ? Buffer.from(f.mask) : Buffer.alloc(0), payload]);
}

const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  fin: mostly(fc.constant(true), fc.constant(false)),
  rsv: mostly(fc.constant(0), fc.integer({ min: 1, max: 7 })),
  opcode: mostly(fc.constantFrom(0x1, 0x2, 0x2, 0x8, 0x9, 0xa), fc.integer({ min: 0, max: 15 })),
  masked: mostly(fc.constant(true), fc.constant(false)),
  payload: mostly(
    fc.uint8Array({ maxLength: 120 }),
    fc.oneof(fc.integer({ min: 126, max: 70000 }).map((n) => new Uint8Array(n).fill(0x61)), fc.constant(new Uint8Array(140 * 1024).fill(0x62))),
  ),
  lengthForm: mostly(fc.constant('minimal' as const), fc.constantFrom('16' as const, '64' as const)),
  mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
});

/** One to four frames, sent back to back after a valid upgrade, then mutated. */
export const framesArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(frameSpec, { minLength: 1, maxLength: 4 }), mutations)
  .map(([frames, ms]) => mutate(Buffer.concat(frames.map(encodeFrameSpec)), ms));

// ── upgrade requests (RFC 6455 §4.1, RFC 9112) ───────────────────────────────────────────────────────────────

const headerArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constant('Host'), fc.constantFrom('127.0.0.1', 'localhost', '', '[::1]:1', 'a'.repeat(300))),
  fc.tuple(fc.constant('Upgrade'), fc.constantFrom('websocket', 'WebSocket', 'h2c', '', 'websocket, websocket')),
  fc.tuple(fc.constant('Connection'), fc.constantFrom('Upgrade', 'keep-alive, Upgrade', 'close', '')),
  fc.tuple(fc.constant('Sec-WebSocket-Key'), fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')), fc.string({ maxLength: 40 }))),
  fc.tuple(fc.constant('Sec-WebSocket-Version'), fc.constantFrom('13', '8', '', '13, 8', '99999999999999999999')),
  fc.tuple(fc.constant('Sec-WebSocket-Extensions'), fc.constantFrom('permessage-deflate', 'permessage-deflate; client_max_window_bits=7', 'x-unknown', ';;;')),
  fc.tuple(fc.constant('Sec-WebSocket-Protocol'), fc.constantFrom('chat', 'a, b', ',', '')),
  fc.tuple(fc.constant('Origin'), fc.constantFrom('http://127.0.0.1', 'null', 'https://evil.example', '')),
  fc.tuple(fc.constantFrom('Content-Length', 'Transfer-Encoding'), fc.constantFrom('0', '5', '-1', 'chunked', '1, 2')),
  fc.tuple(fc.constant('X-Large'), fc.integer({ min: 8000, max: 20000 }).map((n) => 'x'.repeat(n))),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60, unit: 'binary' })),
);

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly eol: string;
}

export function encodeRequest(r: RequestSpec): Buffer {
  const lines = [`${r.method} ${r.path} ${r.version}`, ...r.headers.map(([n, v]) => `${n}: ${v}`), '', ''];
  return Buffer.from(lines.join(r.eol), 'utf8');
}

/** The headers of a valid upgrade, for a request that starts valid. */
export function validUpgradeHeaders(key: string): [string, string][] {
  return [
    ['Host', '127.0.0.1'],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
  ];
}

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  method: mostly(fc.constant('GET'), fc.constantFrom('POST', 'HEAD', 'CONNECT', 'get', '')),
  path: mostly(
    fc.constantFrom('/echo', '/proxy'),
    fc.oneof(fc.constantFrom('/', '/nope', '*', 'http://127.0.0.1/echo', '/echo?x=1', '/%zz', '/echo/../proxy'), fc.string({ maxLength: 30, unit: 'binary' })),
  ),
  version: mostly(fc.constant('HTTP/1.1'), fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'XYZ')),
  headers: fc
    .tuple(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.oneof({ weight: 2, arbitrary: fc.constant([] as [string, string][]) }, { weight: 3, arbitrary: fc.array(headerArb, { minLength: 1, maxLength: 3 }) }),
      mostly(fc.constant(false), fc.constant(true)),
    )
    .map(([key, extra, dropSome]) => {
      const base = validUpgradeHeaders(Buffer.from(key).toString('base64'));
      return [...(dropSome ? base.filter((_, i) => i % 2 === 0) : base), ...extra];
    }),
  eol: mostly(fc.constant('\r\n'), fc.constant('\n')),
});

/** An upgrade request that starts valid (or nearly), then mutated. */
export const upgradeArb: fc.Arbitrary<Buffer> = fc.tuple(requestSpec, mutations).map(([r, ms]) => mutate(encodeRequest(r), ms));

// ── PROXY protocol v2 headers (haproxy proxy-protocol.txt §2.2) ──────────────────────────────────────────────

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface ProxySpec {
  /** Version (high nibble, 2) and command (low nibble: 0 LOCAL, 1 PROXY). */
  readonly versionCommand: number;
  /** Address family and transport: 0x11 TCP over IPv4, 0x21 TCP over IPv6, 0x00 UNSPEC, … */
  readonly family: number;
  readonly addresses: Uint8Array;
  readonly tlvs: readonly { readonly type: number; readonly value: Uint8Array }[];
}

export function encodeProxyV2(p: ProxySpec): Buffer {
  const tlvs = p.tlvs.map((t) => {
    const head = Buffer.from([t.type & 0xff, (t.value.length >> 8) & 0xff, t.value.length & 0xff]);
    return Buffer.concat([head, t.value]);
  });
  const body = Buffer.concat([p.addresses, ...tlvs]);
  const head = Buffer.from([p.versionCommand & 0xff, p.family & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, body]);
}

const ipv4Addresses = fc.uint8Array({ minLength: 12, maxLength: 12 });
const ipv6Addresses = fc.uint8Array({ minLength: 36, maxLength: 36 });

const proxySpec: fc.Arbitrary<ProxySpec> = fc.oneof(
  fc.record({
    versionCommand: fc.constantFrom(0x21, 0x21, 0x20, 0x11, 0x2f),
    family: fc.constant(0x11),
    addresses: ipv4Addresses,
    tlvs: fc.array(fc.record({ type: fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30, 0xe0, 0xff), value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 3 }),
  }),
  fc.record({
    versionCommand: fc.constantFrom(0x21, 0x20),
    family: fc.constantFrom(0x21, 0x12, 0x22, 0x31, 0x32, 0x00, 0xff),
    addresses: fc.oneof(ipv6Addresses, ipv4Addresses, fc.uint8Array({ maxLength: 216 })),
    tlvs: fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 3 }),
  }),
);

/**
 * A PROXY v2 header (or, now and then, a v1 text line where v2 is expected), mutated, then a valid upgrade request:
 * what reaches the gateway when the header is accepted is a client it can serve.
 */
export const proxyArb: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(
      { weight: 5, arbitrary: proxySpec.map(encodeProxyV2) },
      { weight: 1, arbitrary: fc.constantFrom('PROXY TCP4 10.0.0.1 10.0.0.2 1234 80\r\n', 'PROXY UNKNOWN\r\n').map((t) => Buffer.from(t)) },
    ),
    mutations,
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  )
  .map(([header, ms, key]) =>
    Buffer.concat([
      mutate(header, ms),
      encodeRequest({ method: 'GET', path: '/echo', version: 'HTTP/1.1', headers: validUpgradeHeaders(Buffer.from(key).toString('base64')), eol: '\r\n' }),
    ]),
  );

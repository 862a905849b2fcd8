/**
 * The PROXY protocol (HAProxy, https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt), both ways:
 * - upstream, the header the gateway sends before any byte of a client's stream, so the backend learns the
 *   client's address and what its certificate said (`tcp.proxy-protocol` connect-option);
 * - downstream, the header a load balancer in front of the gateway sends (`tcp.proxy-protocol` accept-option),
 *   read incrementally from an accepted connection's first bytes.
 *
 * The reader never holds more than one header's worth of bytes: v1 is at most 107 bytes by the specification, and a
 * v2 header whose length field exceeds PROXY_V2_MAX_LENGTH is refused as soon as its 16-byte prefix is in.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { GatewayError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { formatIp, ipToBytes, mapIPv4, unmapIPv4 } from './ip-bytes.js';

export interface ProxyHeaderInfo {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  /** v2 only: the client's TLS session. `verified` is true only for a presented certificate that verified. */
  ssl?: { presented: boolean; verified: boolean; version?: string; cn?: string };
  /** v2 only: the host name the client asked for (TLS SNI). */
  authority?: string;
}

export type ParsedProxyHeader = { info: ProxyHeaderInfo | 'local'; length: number };

/** The specification's bound for a v1 line, `\r\n` included. */
export const PROXY_V1_MAX_LENGTH = 107;
/**
 * The largest v2 header accepted, fixed part included. Addresses take at most 216 bytes (AF_UNIX); the rest is
 * TLVs, which in practice (SSL details, AWS/Azure/GCP endpoint ids) stay well under a kilobyte.
 */
export const PROXY_V2_MAX_LENGTH = 16 + 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

const PP2_TYPE_AUTHORITY = 0x02;
const PP2_TYPE_CRC32C = 0x03;
const PP2_TYPE_SSL = 0x20;
const PP2_SUBTYPE_SSL_VERSION = 0x21;
const PP2_SUBTYPE_SSL_CN = 0x22;
const PP2_CLIENT_SSL = 0x01;
const PP2_CLIENT_CERT_CONN = 0x02;
const PP2_CLIENT_CERT_SESS = 0x04;

// ── encoding ────────────────────────────────────────────────────────────────────────────────────────────────

/** The two endpoints as bytes of one family: IPv4 when both are (IPv4-mapped counts), else both IPv6. */
function endpointBytes(info: ProxyHeaderInfo): { family: 4 | 6; source: Buffer; destination: Buffer } {
  const read = (address: string, what: string): Buffer => {
    const bytes = ipToBytes(address);
    if (bytes === undefined) {
      throw new GatewayError('GW_ERR_PROXY_PROTOCOL_ENCODE', `cannot build a PROXY header: the ${what} "${address}" is not an IP address`);
    }
    return bytes.length === 16 ? (unmapIPv4(bytes) ?? bytes) : bytes;
  };
  for (const [port, what] of [[info.sourcePort, 'source port'], [info.destinationPort, 'destination port']] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new GatewayError('GW_ERR_PROXY_PROTOCOL_ENCODE', `cannot build a PROXY header: the ${what} ${port} is not from 0 to 65535`);
    }
  }
  const source = read(info.sourceAddress, 'source address');
  const destination = read(info.destinationAddress, 'destination address');
  if (source.length === 4 && destination.length === 4) return { family: 4, source, destination };
  const widen = (b: Buffer) => (b.length === 4 ? mapIPv4(b) : b);
  return { family: 6, source: widen(source), destination: widen(destination) };
}

/** `PROXY TCP4|TCP6 src dst sport dport\r\n`. v1 has no room for TLS details or the authority: they are left out. */
export function encodeProxyV1(info: ProxyHeaderInfo): Buffer {
  const { family, source, destination } = endpointBytes(info);
  const line = `PROXY TCP${family} ${formatIp(source)} ${formatIp(destination)} ${info.sourcePort} ${info.destinationPort}\r\n`;
  return Buffer.from(line, 'latin1');
}

function tlv(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff) {
    throw new GatewayError('GW_ERR_PROXY_PROTOCOL_ENCODE', `cannot build a PROXY header: a TLV of type 0x${type.toString(16)} would be ${value.length} bytes, more than 65535`);
  }
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

/** The binary header: PROXY command over TCP, with PP2_TYPE_AUTHORITY and PP2_TYPE_SSL when the info has them. */
export function encodeProxyV2(info: ProxyHeaderInfo): Buffer {
  const { family, source, destination } = endpointBytes(info);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(info.sourcePort, 0);
  ports.writeUInt16BE(info.destinationPort, 2);
  const tlvs: Buffer[] = [];
  if (info.authority !== undefined) tlvs.push(tlv(PP2_TYPE_AUTHORITY, Buffer.from(info.authority, 'utf8')));
  if (info.ssl !== undefined) {
    const { presented, verified, version, cn } = info.ssl;
    const fixed = Buffer.alloc(5);
    fixed[0] = PP2_CLIENT_SSL | (presented ? PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS : 0);
    // The specification: zero only when a certificate was presented and verified.
    fixed.writeUInt32BE(presented && verified ? 0 : 1, 1);
    const subs: Buffer[] = [fixed];
    if (version !== undefined) subs.push(tlv(PP2_SUBTYPE_SSL_VERSION, Buffer.from(version, 'utf8')));
    if (cn !== undefined) subs.push(tlv(PP2_SUBTYPE_SSL_CN, Buffer.from(cn, 'utf8')));
    tlvs.push(tlv(PP2_TYPE_SSL, Buffer.concat(subs)));
  }
  const body = Buffer.concat([source, destination, ports, ...tlvs]);
  if (body.length > 0xffff) {
    throw new GatewayError('GW_ERR_PROXY_PROTOCOL_ENCODE', `cannot build a PROXY header: its TLVs take ${body.length} bytes, more than 65535`);
  }
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x21; // version 2, PROXY
  fixed[1] = family === 4 ? 0x11 : 0x21; // AF_INET or AF_INET6, STREAM
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

// ── parsing ─────────────────────────────────────────────────────────────────────────────────────────────────

function malformed(version: 'v1' | 'v2', why: string): GatewayError {
  return new GatewayError('GW_ERR_PROXY_PROTOCOL', `malformed PROXY protocol ${version} header: ${why}`);
}

/** A few first bytes, printable, to say what arrived instead of a header. */
function preview(buf: Buffer): string {
  return JSON.stringify(buf.subarray(0, 16).toString('latin1')) + (buf.length > 16 ? '…' : '');
}

/** What else the first bytes look like, so that a wrong setting is easy to spot. */
function guess(buf: Buffer, expected: 'v1' | 'v2'): string {
  if (buf[0] === 0x16) return ' (it looks like a TLS handshake: is the load balancer sending a PROXY header?)';
  if (expected === 'v1' && buf[0] === 0x0d && buf[1] === 0x0a) return ' (it looks like a v2 header: set tcp.proxy-protocol to v2)';
  if (expected === 'v2' && buf.subarray(0, 5).toString('latin1') === 'PROXY') return ' (it looks like a v1 header: set tcp.proxy-protocol to v1)';
  if (/^[A-Z]+ \//.test(buf.subarray(0, 8).toString('latin1'))) return ' (it looks like an HTTP request without a PROXY header)';
  return '';
}

/** Throws when the bytes so far cannot be the start of `prefix`. */
function checkPrefix(buf: Buffer, prefix: Buffer, version: 'v1' | 'v2'): void {
  const n = Math.min(buf.length, prefix.length);
  if (!buf.subarray(0, n).equals(prefix.subarray(0, n))) {
    throw malformed(version, `the connection starts with ${preview(buf)}, not a PROXY ${version} signature${guess(buf, version)}`);
  }
}

/**
 * Reads a header from the first bytes of an accepted connection. Call again with more bytes while it returns
 * 'incomplete'; the bytes after `length` are the client's stream. `'local'` means the connection carries no
 * client address (v2 LOCAL, e.g. a health check; v1 UNKNOWN; v2 AF_UNSPEC or AF_UNIX): use the socket's own.
 *
 * @throws GatewayError GW_ERR_PROXY_PROTOCOL for anything that is not a well-formed header of that version.
 */
export function parseProxyHeader(buf: Buffer, accept: 'v1' | 'v2'): 'incomplete' | ParsedProxyHeader {
  return accept === 'v1' ? parseV1(buf) : parseV2(buf);
}

function parseV1(buf: Buffer): 'incomplete' | ParsedProxyHeader {
  checkPrefix(buf, V1_PREFIX, 'v1');
  const window = buf.subarray(0, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i < window.length; i++) {
    const b = window[i] as number;
    if (b === 0x0d) {
      if (i + 1 < window.length && window[i + 1] !== 0x0a) throw malformed('v1', 'a CR is not followed by LF');
      if (i + 1 < window.length) {
        end = i + 2;
        break;
      }
    } else if (b === 0x0a) {
      throw malformed('v1', 'the line ends with LF alone, not CRLF');
    } else if (b < 0x20 || b > 0x7e) {
      throw malformed('v1', `byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} is not printable ASCII`);
    }
  }
  if (end < 0) {
    if (buf.length >= PROXY_V1_MAX_LENGTH) throw malformed('v1', `no CRLF within the first ${PROXY_V1_MAX_LENGTH} bytes`);
    return 'incomplete';
  }
  const line = window.subarray(0, end - 2).toString('latin1');
  const fields = line.split(' ');
  // UNKNOWN: the proxy could not tell; the rest of the line is to be ignored.
  if (fields[1] === 'UNKNOWN') return { info: 'local', length: end };
  if (fields.length !== 6) throw malformed('v1', `${JSON.stringify(line)} does not have the six fields PROXY TCP4|TCP6 src dst sport dport`);
  const [, proto, src, dst, sport, dport] = fields as [string, string, string, string, string, string];
  const valid = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? (a: string) => isIPv6(a) && !a.includes('%') : undefined;
  if (valid === undefined) throw malformed('v1', `the protocol "${proto}" is not TCP4, TCP6 or UNKNOWN`);
  for (const a of [src, dst]) {
    if (!valid(a)) throw malformed('v1', `"${a}" is not an ${proto === 'TCP4' ? 'IPv4' : 'IPv6'} address`);
  }
  return {
    info: {
      sourceAddress: formatIp(ipToBytes(src) as Buffer),
      sourcePort: v1Port(sport),
      destinationAddress: formatIp(ipToBytes(dst) as Buffer),
      destinationPort: v1Port(dport),
    },
    length: end,
  };
}

function v1Port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw malformed('v1', `"${text}" is not a port from 0 to 65535`);
  return Number(text);
}

function parseV2(buf: Buffer): 'incomplete' | ParsedProxyHeader {
  checkPrefix(buf, V2_SIGNATURE, 'v2');
  if (buf.length < 16) return 'incomplete';
  const versionCommand = buf[12] as number;
  if (versionCommand >> 4 !== 2) throw malformed('v2', `the version is ${versionCommand >> 4}, not 2`);
  const command = versionCommand & 0x0f;
  if (command > 1) throw malformed('v2', `the command 0x${command.toString(16)} is neither LOCAL nor PROXY`);
  const family = (buf[13] as number) >> 4;
  const transport = (buf[13] as number) & 0x0f;
  if (family > 3) throw malformed('v2', `the address family 0x${family.toString(16)} is unknown`);
  if (transport > 2) throw malformed('v2', `the transport protocol 0x${transport.toString(16)} is unknown`);
  const length = 16 + buf.readUInt16BE(14);
  if (length > PROXY_V2_MAX_LENGTH) throw malformed('v2', `its length ${length} is more than the ${PROXY_V2_MAX_LENGTH} bytes accepted`);
  if (buf.length < length) return 'incomplete';
  const header = buf.subarray(0, length);
  const addressLength = [0, 12, 36, 216][family] as number;
  if (length - 16 < addressLength) {
    throw malformed('v2', `its length ${length - 16} is too short for the ${addressLength} bytes of its addresses`);
  }
  // LOCAL: the proxy speaking for itself (health checks); the specification says to ignore the rest.
  if (command === 0) return { info: 'local', length };
  if (transport === 2) throw malformed('v2', 'it describes a UDP (DGRAM) connection, not a stream');
  // AF_UNSPEC: the specification leaves the block unspecified, so what follows may be anything, not TLVs.
  if (family === 0) return { info: 'local', length };
  const extras = readTlvs(header, 16 + addressLength);
  if (family !== 1 && family !== 2) return { info: 'local', length };
  if (transport !== 1) return { info: 'local', length };
  const size = family === 1 ? 4 : 16;
  const info: ProxyHeaderInfo = {
    sourceAddress: formatIp(Buffer.from(header.subarray(16, 16 + size))),
    sourcePort: header.readUInt16BE(16 + 2 * size),
    destinationAddress: formatIp(Buffer.from(header.subarray(16 + size, 16 + 2 * size))),
    destinationPort: header.readUInt16BE(16 + 2 * size + 2),
  };
  if (extras.authority !== undefined) info.authority = extras.authority;
  if (extras.ssl !== undefined) info.ssl = extras.ssl;
  return { info, length };
}

interface TlvEntry {
  readonly type: number;
  /** Offset of the value in the buffer walked. */
  readonly offset: number;
  readonly value: Buffer;
}

/** The TLVs in `buf` from `start` to its end; each must fit exactly. */
function* walkTlvs(buf: Buffer, start: number, where: string): Generator<TlvEntry> {
  let at = start;
  while (at < buf.length) {
    if (buf.length - at < 3) throw malformed('v2', `${buf.length - at} stray byte(s) at the end of ${where}`);
    const type = buf[at] as number;
    const size = buf.readUInt16BE(at + 1);
    if (at + 3 + size > buf.length) {
      throw malformed('v2', `a TLV of type 0x${type.toString(16)} in ${where} claims ${size} bytes, more than are left`);
    }
    yield { type, offset: at + 3, value: buf.subarray(at + 3, at + 3 + size) };
    at += 3 + size;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8(value: Buffer, what: string): string {
  try {
    return UTF8.decode(value);
  } catch (e) {
    throw new GatewayError('GW_ERR_PROXY_PROTOCOL', `malformed PROXY protocol v2 header: the ${what} is not UTF-8`, { cause: e });
  }
}

function readTlvs(header: Buffer, start: number): Pick<ProxyHeaderInfo, 'authority' | 'ssl'> {
  const out: Pick<ProxyHeaderInfo, 'authority' | 'ssl'> = {};
  const seen = new Set<number>();
  for (const { type, offset, value } of walkTlvs(header, start, 'the header')) {
    if (type === PP2_TYPE_AUTHORITY || type === PP2_TYPE_SSL || type === PP2_TYPE_CRC32C) {
      if (seen.has(type)) throw malformed('v2', `the TLV of type 0x${type.toString(16)} appears twice`);
      seen.add(type);
    }
    if (type === PP2_TYPE_AUTHORITY) {
      out.authority = utf8(value, 'authority (PP2_TYPE_AUTHORITY)');
    } else if (type === PP2_TYPE_CRC32C) {
      checkCrc(header, offset, value);
    } else if (type === PP2_TYPE_SSL) {
      const ssl = readSsl(value);
      if (ssl !== undefined) out.ssl = ssl;
    }
    // Other types (ALPN, NOOP, UNIQUE_ID, NETNS, cloud vendors' own) carry nothing the gateway uses.
  }
  return out;
}

/** The specification: the CRC-32C of the whole header with the checksum field taken as zero must match. */
function checkCrc(header: Buffer, offset: number, value: Buffer): void {
  if (value.length !== 4) throw malformed('v2', `the CRC32C TLV holds ${value.length} bytes, not 4`);
  const copy = Buffer.from(header);
  copy.fill(0, offset, offset + 4);
  const expected = value.readUInt32BE(0);
  const actual = crc32c(copy);
  if (actual !== expected) {
    throw malformed('v2', `its CRC32C checksum is 0x${expected.toString(16).padStart(8, '0')} but the header sums to 0x${actual.toString(16).padStart(8, '0')}`);
  }
}

function readSsl(value: Buffer): ProxyHeaderInfo['ssl'] {
  if (value.length < 5) throw malformed('v2', `the SSL TLV holds ${value.length} bytes, fewer than its 5-byte fixed part`);
  const client = value[0] as number;
  const verify = value.readUInt32BE(1);
  const ssl: NonNullable<ProxyHeaderInfo['ssl']> = { presented: false, verified: false };
  ssl.presented = (client & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) !== 0;
  // A proxy reports verify 0 when no certificate was sent (OpenSSL's result is then X509_V_OK): not verified.
  ssl.verified = ssl.presented && verify === 0;
  for (const sub of walkTlvs(value, 5, 'the SSL TLV')) {
    if (sub.type === PP2_SUBTYPE_SSL_VERSION) ssl.version = utf8(sub.value, 'TLS version (PP2_SUBTYPE_SSL_VERSION)');
    else if (sub.type === PP2_SUBTYPE_SSL_CN) ssl.cn = utf8(sub.value, 'certificate CN (PP2_SUBTYPE_SSL_CN)');
  }
  // Without PP2_CLIENT_SSL the client did not use TLS at all, whatever else the TLV says.
  return client & PP2_CLIENT_SSL ? ssl : undefined;
}

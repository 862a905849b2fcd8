/**
 * IP addresses as the bytes the PROXY protocol v2 carries, and back to text. node:net validates text but has no
 * inet_pton, so the conversion is here; validation is left to net.isIP so that the accepted syntax is Node's.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes for IPv4, 16 for IPv6; undefined for anything else (a zone index `%eth0` included). */
export function ipToBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address) || address.includes('%')) return undefined;
  let text = address;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    tail = last.split('.').map(Number);
    // The dotted quad fills two groups; give it a placeholder so group counting below stays uniform.
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0] ?? '');
  const rest = halves.length > 1 ? parse(halves[1] ?? '') : [];
  const groups = halves.length > 1 ? [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** `::ffff:a.b.c.d` as 16 bytes. */
export function mapIPv4(bytes4: Buffer): Buffer {
  return Buffer.concat([MAPPED_PREFIX, bytes4]);
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, else undefined. */
export function unmapIPv4(bytes16: Buffer): Buffer | undefined {
  return bytes16.length === 16 && bytes16.subarray(0, 12).equals(MAPPED_PREFIX) ? bytes16.subarray(12) : undefined;
}

/**
 * Text for 4 or 16 bytes. IPv6 follows RFC 5952 (lower case, the longest run of two or more zero groups
 * compressed, the first on a tie); IPv4-mapped addresses print as `::ffff:a.b.c.d`, the form Node reports for
 * IPv4 clients of a dual-stack socket.
 */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const mapped = unmapIPv4(bytes);
  if (mapped) return `::ffff:${Array.from(mapped).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

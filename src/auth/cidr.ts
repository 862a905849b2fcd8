/**
 * Address lists for `<client-address>`, `IP:` SAN conditions and `tcp.proxy-protocol.trusted`: CIDR blocks or
 * single addresses, IPv4 and IPv6, checked with node:net's BlockList.
 *
 * Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6 (`::ffff:10.1.2.3`); BlockList matches those against
 * IPv4 rules, and IPv4 clients against `::ffff:…` rules, so one rule serves both kinds of socket (the tests pin
 * this down).
 */
import { BlockList, isIP } from 'node:net';
import { GatewayError, type SourcePosition } from '../errors.js';

export interface AddressList {
  /** The entries as written, for messages. */
  readonly entries: readonly string[];
  contains(address: string): boolean;
}

/**
 * @param element what the values came from, as the user wrote it (`<client-address>`), for error messages.
 * @throws GatewayError GW_ERR_CONFIG_VALUE naming the first entry that is not an address or CIDR block.
 */
export function compileAddressList(values: readonly string[], element: string, position?: SourcePosition): AddressList {
  const list = new BlockList();
  const entries: string[] = [];
  for (const raw of values) {
    const text = raw.trim();
    const problem = addEntry(list, text);
    if (problem !== undefined) {
      throw new GatewayError('GW_ERR_CONFIG_VALUE', `${element} "${raw}" is not an IP address or CIDR block: ${problem}`, {
        position,
        hint: 'write an address (10.1.2.3, 2001:db8::7) or a block (10.0.0.0/8, 2001:db8::/32)',
      });
    }
    entries.push(text);
  }
  return {
    entries,
    contains(address: string): boolean {
      const plain = stripZone(address);
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Adds one entry; returns why it is not valid, or undefined. */
function addEntry(list: BlockList, text: string): string | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  if (address.includes('%')) return 'a zone index (%…) cannot be part of a rule';
  if (address.startsWith('[')) return 'write IPv6 addresses without brackets';
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(address, type);
    return undefined;
  }
  const prefixText = text.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return `the prefix length "${prefixText}" is not a number from 0 to ${max}`;
  }
  const prefix = Number(prefixText);
  // BlockList reads ::ffff:10.0.0.0/8 as the IPv6 block ::/8, which holds every IPv4 client: an IPv4-mapped
  // address only means what it seems to with at least its 96 mapping bits.
  if (type === 'ipv6' && prefix < 96 && /^::ffff:/i.test(address)) {
    const ipv4 = address.slice(7);
    const example = isIP(ipv4) === 4 ? `write ${ipv4}/${prefix} (or ${address}/${96 + prefix})` : 'write the IPv4 block itself, as 10.0.0.0/8';
    return `the prefix /${prefix} of the IPv4-mapped address ${address} is shorter than its 96 mapping bits, and would take in every IPv4 client: ${example}`;
  }
  list.addSubnet(address, prefix, type);
  return undefined;
}

/** `fe80::1%eth0` → `fe80::1`: the zone says which interface, not which host, and BlockList rejects it. */
function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent < 0 ? address : address.slice(0, percent);
}

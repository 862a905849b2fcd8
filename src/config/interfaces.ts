/**
 * Kaazing's network-interface hosts in accept URIs and binds: `[@name]` (the name may hold spaces, as Windows'
 * "Software Loopback Interface 1" does) or `@name`, e.g. `tcp://[@eth0]:8080`, `[@eth0:1]:7082` (a Linux alias
 * interface; the name is the whole text between `@` and `]`). Kaazing resolves the name among the machine's
 * interfaces, ignoring case (ResolutionUtils.resolveDeviceAddress). Here it is resolved when the configuration
 * is read (at start-up), to the interface's first IPv4 address, else its first IPv6 address.
 */
import { networkInterfaces } from 'node:os';
import { GatewayError } from '../errors.js';

export type Interfaces = ReturnType<typeof networkInterfaces>;

/** `[@name]` or `@name` at the start of `authority` (host[:port]): the name and the rest (`:port`), or undefined. */
export function splitInterfaceHost(authority: string): { name: string; rest: string } | undefined {
  const bracketed = /^\[@([^\]]+)\](.*)$/s.exec(authority);
  if (bracketed) return { name: bracketed[1] as string, rest: bracketed[2] as string };
  const bare = /^@([^:/\s\]]+)(.*)$/s.exec(authority);
  return bare ? { name: bare[1] as string, rest: bare[2] as string } : undefined;
}

/**
 * The machine's interfaces, or a GatewayError saying why they cannot be listed: the system call needs a netlink
 * socket, which a sandbox may forbid (systemd's RestrictAddressFamilies without AF_NETLINK).
 */
function listInterfaces(name: string, list: () => Interfaces): Interfaces {
  try {
    return list();
  } catch (e) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `Network interface "${name}" cannot be looked up: the system refused to list this machine's interfaces (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
      hint: 'under systemd, add AF_NETLINK to RestrictAddressFamilies (deploy/systemd/gateway.service has it); or write the address instead of [@name]',
    });
  }
}

/**
 * The address to bind for interface `name`; a GatewayError naming the machine's interfaces if there is none.
 * `interfaces`: as given (tests), else listed with `list`.
 */
export function resolveInterface(name: string, interfaces?: Interfaces, list: () => Interfaces = networkInterfaces): string {
  interfaces ??= listInterfaces(name, list);
  const key = Object.keys(interfaces).find((k) => k.toLowerCase() === name.toLowerCase());
  const addresses = key === undefined ? [] : (interfaces[key] ?? []);
  const chosen = addresses.find((a) => a.family === 'IPv4') ?? addresses.find((a) => a.family === 'IPv6');
  if (chosen !== undefined) return chosen.address.toLowerCase();
  const known = Object.keys(interfaces).sort();
  if (key !== undefined) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `Network interface "${key}" has no address to bind`, { hint: 'give the interface an address, or name another one' });
  }
  throw new GatewayError('GW_ERR_CONFIG_VALUE', `Network interface "${name}" does not exist on this machine`, {
    hint: known.length > 0 ? `its interfaces are ${known.join(', ')}` : 'this machine reports no network interfaces',
  });
}

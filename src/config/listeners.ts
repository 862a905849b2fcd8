/**
 * The addresses the gateway listens on: accepts grouped by the address they bind (after binds), each group with
 * the options its listener holds. An address may hold ws:// and wss:// accepts together (its connections are told
 * apart by their first byte).
 */
import { formatHostPort } from './rules.js';
import type { ListenerConfig, ServiceConfig } from './types.js';
import { isStreamScheme, isTlsScheme } from './uris.js';

export function listenersOf(services: readonly ServiceConfig[]): ListenerConfig[] {
  const byAddress = new Map<string, { accept: ServiceConfig['accepts'][number]; service: ServiceConfig }[]>();
  for (const service of services) {
    for (const accept of service.accepts) {
      const address = formatHostPort(accept.listen);
      byAddress.set(address, [...(byAddress.get(address) ?? []), { accept, service }]);
    }
  }
  return [...byAddress].map(([address, members]) => {
    const first = members[0] as (typeof members)[number];
    const secure = (m: (typeof members)[number]): boolean => isTlsScheme(m.accept.scheme) && m.service.acceptOptions.sslEncryption;
    // rules.ts has checked that the TLS accepts agree on the TLS options, and all on the others.
    const tlsFirst = members.find(secure);
    return {
      listen: first.accept.listen,
      address,
      tls: tlsFirst !== undefined,
      plain: tlsFirst !== undefined && members.some((m) => !secure(m)),
      stream: isStreamScheme(first.accept.scheme),
      options: (tlsFirst ?? first).service.acceptOptions,
      accepts: members.map((m) => ({ accept: m.accept, service: m.service.name, secure: secure(m) })),
    };
  });
}

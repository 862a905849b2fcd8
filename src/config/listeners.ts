/**
 * The addresses the gateway listens on: accepts grouped by the address they bind (after binds), each group with
 * the options its listener holds. rules.ts has checked that the accepts of one address agree on those options, so
 * the first accept's service speaks for all.
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
    const options = first.service.acceptOptions;
    return {
      listen: first.accept.listen,
      address,
      tls: isTlsScheme(first.accept.scheme) && options.sslEncryption,
      stream: isStreamScheme(first.accept.scheme),
      options,
      accepts: members.map((m) => ({ accept: m.accept, service: m.service.name })),
    };
  });
}

/** A HostResolver for tests: every name is 127.0.0.1, and the names it was asked for are counted. */
import { HostResolver } from '../../src/upstream/resolver.js';

export function countingResolver(): { resolver: HostResolver; lookups: string[] } {
  const lookups: string[] = [];
  const resolver = new HostResolver({
    lookup: (hostname, _options, callback) => {
      lookups.push(hostname);
      process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
    },
  });
  return { resolver, lookups };
}

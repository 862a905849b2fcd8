/**
 * Binding the listeners of a start or of the addresses a reload adds, all or none. Every one is tried even after one
 * failed, so that each address in use (or not this machine's, or privileged) is reported at once: an operator who
 * frees one port should not then meet the next. If any failed, those that did bind are closed again before the
 * failure is thrown, so a start that fails holds no port and a reload that fails changes nothing.
 */
import { AggregateGatewayError, toGatewayError, type GatewayError } from '../errors.js';
import type { Listener } from './listener.js';

/** Binds each of `listeners` in order; throws each failure (GW_ERR_BIND), all of them when several, once none is bound. */
export async function bindAll(listeners: readonly Listener[]): Promise<void> {
  const failures: GatewayError[] = [];
  // One after another, so that of two accepts that cannot both have an address, the first in the file gets it.
  for (const listener of listeners) {
    try {
      await listener.listen();
    } catch (e) {
      failures.push(toGatewayError(e, 'GW_ERR_BIND', `cannot listen on ${listener.where}`));
    }
  }
  if (failures.length === 0) return;
  // A listener's close waits for the connections it accepted while the others were tried; none of them is served.
  const closed = listeners.map((l) => l.close());
  for (const l of listeners) l.destroyConnections();
  await Promise.all(closed);
  throw failures.length === 1 ? failures[0] : new AggregateGatewayError('GW_ERR_BIND', failures);
}

/**
 * A backend opener that tells the service's metrics how long each connect took, or that it failed. A connect given
 * up because the client left first is neither: the backend did nothing wrong.
 */
import { performance } from 'node:perf_hooks';
import type { ServiceMeter } from '../metrics/types.js';
import type { OpenUpstream } from './proxy.js';

export function meteredUpstream(open: OpenUpstream, meter: ServiceMeter): OpenUpstream {
  return async (ctx, request, cancellation) => {
    const began = performance.now();
    try {
      const opened = await open(ctx, request, cancellation);
      meter.upstreamConnected(performance.now() - began);
      return opened;
    } catch (err) {
      if (!cancellation.cancelled) {
        const code = (err as { code?: unknown }).code;
        meter.upstreamFailed(typeof code === 'string' ? code : 'error');
      }
      throw err;
    }
  };
}

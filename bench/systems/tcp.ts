/** Raw TCP over loopback, straight to the sink: no TLS, no proxy. The floor under every other system. */
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';

export const tcp: SystemSpec = {
  name: 'tcp',
  description: 'raw TCP over loopback to the sink, no TLS and no proxy: the floor',
  peer: false,
  noServer: true,
  async detect() {
    return undefined;
  },
  async start(ctx: SystemContext): Promise<RunningSystem> {
    return {
      endpoint: { protocol: 'tcp', host: '127.0.0.1', port: ctx.sinkPort, path: '/' },
      pids: [],
      stop: async () => undefined,
    };
  },
};

/**
 * A system the harness does not start: any WebSocket-over-TLS endpoint (`wss://`) or TLS terminator (`tls://`)
 * already running and forwarding to the sink (see `--sink-port`). Its processes are unknown, so the idle memory
 * scenario skips it.
 */
import type { Endpoint } from '../client/link.js';
import type { RunningSystem, SystemSpec } from './types.js';

/** Parses `name=wss://host:port/path` or `name=tls://host:port`. Throws an Error naming what is wrong. */
export function parseEndpoint(text: string): { name: string; endpoint: Endpoint } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--endpoint expects name=wss://host:port/path or name=tls://host:port, got "${text}"`);
  const name = text.slice(0, eq);
  let url: URL;
  try {
    url = new URL(text.slice(eq + 1));
  } catch {
    throw new Error(`--endpoint ${name}: "${text.slice(eq + 1)}" is not a URL`);
  }
  const protocol = url.protocol === 'wss:' ? 'ws' : url.protocol === 'tls:' ? 'tls' : undefined;
  if (!protocol) throw new Error(`--endpoint ${name}: use wss:// or tls://, not ${url.protocol}//`);
  if (url.port === '') throw new Error(`--endpoint ${name}: the URL needs a port`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { name, endpoint: { protocol, host, port: Number(url.port), path: `${url.pathname}${url.search}` || '/' } };
}

export function externalSystem(text: string): SystemSpec {
  const { name, endpoint } = parseEndpoint(text);
  return {
    name,
    description: `an endpoint started outside the benchmark: ${text.slice(text.indexOf('=') + 1)}`,
    peer: true,
    noServer: true,
    async detect() {
      return undefined;
    },
    async start(): Promise<RunningSystem> {
      return { endpoint, pids: [], stop: async () => undefined };
    },
  };
}

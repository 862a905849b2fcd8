/**
 * Reads the PROXY protocol header a load balancer in front of the gateway sends as the first bytes of a connection,
 * before TLS. Bytes after the header are put back on the socket for the TLS or HTTP layer that reads next.
 */
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import { parseProxyHeader, type ProxyHeaderInfo } from '../upstream/proxy-protocol.js';

/** A load balancer sends its header at once; a peer that does not within this time is not one. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

export function readProxyHeader(socket: Socket, version: 'v1' | 'v2', timeoutMs = PROXY_HEADER_TIMEOUT_MS): Promise<ProxyHeaderInfo | 'local'> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new GatewayError('GW_ERR_PROXY_PROTOCOL', `no PROXY ${version} header within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const finish = (outcome: Error | { info: ProxyHeaderInfo | 'local'; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      if (outcome instanceof Error) return reject(outcome);
      socket.pause();
      if (outcome.rest.length > 0) socket.unshift(outcome.rest);
      resolve(outcome.info);
    };
    const onEnd = () => finish(new GatewayError('GW_ERR_PROXY_PROTOCOL', 'connection closed before its PROXY header was complete'));
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        const parsed = parseProxyHeader(buffered, version);
        if (parsed === 'incomplete') return;
        finish({ info: parsed.info, rest: buffered.subarray(parsed.length) });
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
  });
}

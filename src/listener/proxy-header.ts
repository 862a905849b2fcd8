/**
 * Reads the PROXY protocol header a load balancer in front of the gateway sends as the first bytes of a connection,
 * before TLS. Bytes after the header are put back on the socket for the TLS or HTTP layer that reads next. How long
 * a peer may take is the connection's handshake deadline (the listener's): when it destroys the socket, this
 * rejects.
 */
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import { parseProxyHeader, type ProxyHeaderInfo } from '../upstream/proxy-protocol.js';

export function readProxyHeader(socket: Socket, version: 'v1' | 'v2'): Promise<ProxyHeaderInfo | 'local'> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (outcome: Error | { info: ProxyHeaderInfo | 'local'; rest: Buffer }) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
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
        finish(e instanceof Error ? e : new GatewayError('GW_ERR_PROXY_PROTOCOL', String(e)));
      }
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
  });
}

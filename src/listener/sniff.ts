/**
 * An address shared by ws:// and wss:// accepts (Kaazing allows it) serves both on one socket: the first byte a
 * client sends tells them apart. A TLS connection opens with a handshake record, content type 22 (0x16, RFC 8446
 * §5.1); an HTTP request opens with a method name, which is ASCII letters. The byte is put back on the socket for
 * the layer that reads next. How long a client may take to send it is the connection's handshake deadline (the
 * listener's): a client that sends nothing is closed when it expires, as one that stalls anywhere else is.
 */
import type { Socket } from 'node:net';

const TLS_HANDSHAKE_RECORD = 0x16;

export type Transport = 'tls' | 'plain';

/** Calls `decided` once the first byte has arrived; never, if the socket ends or closes first. */
export function sniffTransport(socket: Socket, decided: (transport: Transport) => void): void {
  const cleanup = (): void => {
    socket.off('data', onData);
    socket.off('close', cleanup);
  };
  const onData = (chunk: Buffer): void => {
    cleanup();
    // Paused before the byte is put back, so that nothing flows until the next layer takes the socket.
    socket.pause();
    socket.unshift(chunk);
    decided(chunk[0] === TLS_HANDSHAKE_RECORD ? 'tls' : 'plain');
  };
  socket.on('data', onData);
  socket.once('close', cleanup);
  // After a PROXY header the socket was left paused; a fresh one is already flowing.
  socket.resume();
}

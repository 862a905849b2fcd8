/**
 * The TCP backend every system forwards to, run as its own process (`fork`) so that its work is not charged to the
 * load client. It discards what it reads (bulk) or echoes it (churn, idle, latency); the mode applies to
 * connections accepted after it is set. It counts the bytes it discards and tells the harness when a total is
 * reached, which is how a bulk run knows that everything it sent went through.
 *
 * Messages from the harness: {type:'mode', mode}, {type:'reset'}, {type:'await', bytes}, {type:'count'}.
 * Messages to the harness: {type:'ready', port}, {type:'ok'}, {type:'reached', bytes}, {type:'count', bytes}.
 */
import { createServer, type Socket } from 'node:net';

export type SinkMode = 'discard' | 'echo';

export type SinkRequest = { type: 'mode'; mode: SinkMode } | { type: 'reset' } | { type: 'await'; bytes: number } | { type: 'count' };
export type SinkReply = { type: 'ready'; port: number } | { type: 'ok' } | { type: 'reached'; bytes: number } | { type: 'count'; bytes: number };

function runSink(): void {
  const send = (m: SinkReply) => process.send?.(m);
  let mode: SinkMode = 'echo';
  let received = 0;
  let awaiting: number | undefined;
  const sockets = new Set<Socket>();

  const check = () => {
    if (awaiting !== undefined && received >= awaiting) {
      awaiting = undefined;
      send({ type: 'reached', bytes: received });
    }
  };

  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // ECONNRESET from a proxy tearing down is routine here.
    socket.on('error', () => socket.destroy());
    if (mode === 'echo') {
      socket.pipe(socket);
    } else {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        check();
      });
      socket.on('end', () => socket.end());
    }
  });
  server.maxConnections = Infinity;
  server.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
  });

  process.on('message', (m: SinkRequest) => {
    switch (m.type) {
      case 'mode':
        mode = m.mode;
        send({ type: 'ok' });
        break;
      case 'reset':
        received = 0;
        awaiting = undefined;
        send({ type: 'ok' });
        break;
      case 'await':
        awaiting = m.bytes;
        check();
        break;
      case 'count':
        send({ type: 'count', bytes: received });
        break;
    }
  });
  // The harness going away (even by SIGKILL) closes the IPC channel: nothing is left behind.
  process.on('disconnect', () => {
    for (const s of sockets) s.destroy();
    server.close();
    process.exit(0);
  });
}

// Started as `sink.js --sink [port]` by the harness; importing the module (for its types) runs nothing.
if (process.send !== undefined && process.argv[2] === '--sink') runSink();

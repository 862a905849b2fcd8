/** Backends for end-to-end tests: real TCP servers on port 0. */
import { createServer, type Server, type Socket } from 'node:net';
import { WAIT_MS, event, withDeadline } from './deadline.js';

export interface Backend {
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<Backend> {
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'a backend to listen');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    server,
    port: address.port,
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      return withDeadline(closed, WAIT_MS, `the backend on port ${address.port} to close`);
    },
  };
}

/** Echoes every byte back. */
export function tcpEcho(): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  return listen(server, sockets);
}

/** Runs `handler` for each connection (a flooding or a silent backend, say). */
export function tcpServer(handler: (s: Socket) => void): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    handler(s);
  });
  return listen(server, sockets);
}

/** A port nothing listens on: bound, then closed. */
export async function deadPort(): Promise<number> {
  const b = await tcpServer(() => {});
  await b.close();
  return b.port;
}

/** Ports nothing listens on, all different: bound together, then closed. */
export async function freePorts(n: number): Promise<number[]> {
  const held = await Promise.all(Array.from({ length: n }, () => tcpServer(() => {})));
  await Promise.all(held.map((b) => b.close()));
  return held.map((b) => b.port);
}

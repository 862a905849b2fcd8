/**
 * TCP backends that misbehave on purpose, for the faults scenario. Each is a real server on 127.0.0.1 (port 0) in
 * the harness's process: they carry a few connections each, so they cost the measurement nothing.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Backend {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function backend(server: Server, sockets: Set<Socket>): Promise<Backend> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // The gateway resetting or destroying its side is one of the outcomes under test, not an error here.
    socket.on('error', () => socket.destroy());
  });
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes the first chunk it reads, then resets the connection (RST, not FIN) a moment later: mid-stream. */
export function resettingBackend(afterMs = 50): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      socket.write(chunk);
      setTimeout(() => socket.resetAndDestroy(), afterMs);
    });
  });
  return backend(server, sockets);
}

/** Answers the first chunk with `reply`, then ends its write side (FIN) and goes on reading. */
export function halfClosingBackend(reply: Buffer): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.once('data', () => socket.end(reply));
    socket.on('data', () => undefined);
    socket.once('end', () => socket.destroy());
  });
  return backend(server, sockets);
}

/** Reads everything, never writes. */
export function silentBackend(): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => socket.resume());
  return backend(server, sockets);
}

export interface StallingBackend extends Backend {
  /** Bytes read since resume(). */
  readonly received: number;
  /** Connections that have sent their FIN. */
  readonly ended: number;
  /** Starts reading every connection, now and from now on. */
  resume(): void;
}

/** Accepts and reads nothing until resume(): its receive buffer fills and stays full. */
export async function stallingBackend(): Promise<StallingBackend> {
  const sockets = new Set<Socket>();
  let reading = false;
  let received = 0;
  let ended = 0;
  const read = (socket: Socket) => {
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.once('end', () => {
      ended++;
      socket.end();
    });
    socket.resume();
  };
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    if (reading) read(socket);
  });
  const base = await backend(server, sockets);
  return {
    ...base,
    get received() {
      return received;
    },
    get ended() {
      return ended;
    },
    resume() {
      reading = true;
      for (const s of sockets) read(s);
    },
  };
}

export interface TaggingBackend extends Backend {
  /** Resolves with the milliseconds from now until the connection whose first chunk was `tag` closes. */
  closeOf(tag: string): Promise<number>;
}

/**
 * Echoes everything, and remembers each connection by its first chunk (a tag the client sends), so that a client can
 * ask when the gateway closed its backend connection.
 */
export async function taggingBackend(): Promise<TaggingBackend> {
  const sockets = new Set<Socket>();
  const byTag = new Map<string, Socket>();
  const server = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => byTag.set(chunk.toString('latin1'), socket));
    socket.pipe(socket);
  });
  const base = await backend(server, sockets);
  return {
    ...base,
    closeOf(tag: string) {
      const socket = byTag.get(tag);
      if (!socket) return Promise.reject(new Error(`no backend connection sent "${tag}"`));
      const start = performance.now();
      if (socket.closed) return Promise.resolve(0);
      return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - start)));
    },
  };
}

/**
 * A real WebSocket server and client on port 0, and a real TCP backend, for the pipe tests. Everything listens
 * on 127.0.0.1 and `close()` waits for both servers to be closed.
 */
import net from 'node:net';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer, type ClientOptions, type ServerOptions } from 'ws';
import { WAIT_MS, event, withDeadline } from './deadline.js';

export interface WsPair {
  /** The client side (the downstream's far end). */
  readonly client: WebSocket;
  /** The gateway side, as `handleUpgrade` gives it. */
  readonly serverWs: WebSocket;
  /** The gateway side's raw socket (to watch it pause). */
  readonly serverSocket: net.Socket;
  close(): Promise<void>;
}

export async function wsPair(options: { server?: ServerOptions; client?: ClientOptions } = {}): Promise<WsPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options.server });
  await event(wss, 'listening', 'the WebSocket server to listen');
  const { port } = wss.address() as net.AddressInfo;
  const accepted = event<[WebSocket, IncomingMessage]>(wss, 'connection', 'the WebSocket server to accept the client');
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, options.client);
  await event(client, 'open', 'the WebSocket client to open');
  const [serverWs, req] = await accepted;
  return {
    client,
    serverWs,
    serverSocket: req.socket as net.Socket,
    close: async () => {
      const closed = event(wss, 'close', 'the WebSocket server to close');
      wss.close();
      await closed;
    },
  };
}

export interface Backend {
  readonly port: number;
  /** The next connection the backend accepts. */
  accepted(): Promise<net.Socket>;
  close(): Promise<void>;
}

export async function backend(options: net.ServerOpts = {}): Promise<Backend> {
  const server = net.createServer(options);
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'the backend to listen');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: async () => {
      const [socket] = await event<[net.Socket]>(server, 'connection', 'the backend to accept a connection');
      return socket;
    },
    close: async () => {
      const closed = event(server, 'close', 'the backend to close');
      server.close();
      await closed;
    },
  };
}

/** Connects to the backend; resolves with the gateway's upstream socket and the backend's end of it. */
export async function connectBackend(b: Backend): Promise<{ upstream: net.Socket; peer: net.Socket }> {
  const peer = b.accepted();
  const upstream = net.connect(b.port, '127.0.0.1');
  await event(upstream, 'connect', 'the upstream socket to connect');
  return { upstream, peer: await peer };
}

/** Resolves with the first `n` bytes the socket delivers (it must deliver at least that many within `ms`). */
export function readBytes(socket: net.Socket, n: number, ms = WAIT_MS): Promise<Buffer> {
  const read = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= n) {
        done();
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    const onEnd = (): void => {
      done();
      reject(new Error(`socket ended after ${got} of ${n} bytes`));
    };
    const done = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
  return withDeadline(read, ms, `${n} bytes from the socket`);
}

export interface Received {
  bytes: number;
  messages: number;
  allBinary: boolean;
  readonly hash: ReturnType<typeof createHash>;
  readonly chunks: Buffer[];
}

/** Collects what the client receives; resolves `until(n)` once n bytes have arrived, rejects after `ms`. */
export function receive(client: WebSocket, keep = true): { received: Received; until(n: number, ms?: number): Promise<void> } {
  const received: Received = { bytes: 0, messages: 0, allBinary: true, hash: createHash('sha256'), chunks: [] };
  const waiters: { n: number; resolve: () => void }[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => {
    received.bytes += data.length;
    received.messages++;
    received.allBinary &&= isBinary;
    received.hash.update(data);
    if (keep) received.chunks.push(data);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && received.bytes >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  });
  return {
    received,
    until: (n, ms = WAIT_MS) =>
      received.bytes >= n
        ? Promise.resolve()
        : withDeadline(
            new Promise<void>((resolve) => waiters.push({ n, resolve })),
            ms,
            `the client to receive ${n} bytes`,
          ).catch((err: Error) => {
            throw new Error(`${err.message} (${received.bytes} arrived)`);
          }),
  };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every listener count on an emitter, for checking that a component removed what it added. */
export function listenerCounts(emitter: NodeJS.EventEmitter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of emitter.eventNames()) out[String(name)] = emitter.listenerCount(name);
  return out;
}

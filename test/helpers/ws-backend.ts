/** A throwaway ws:// backend for tests that connect to one: its server, port and URI. */
import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer } from 'ws';
import { event } from './deadline.js';

export interface WebSocketBackend {
  readonly wss: WebSocketServer;
  readonly port: number;
  readonly uri: string;
}

/** Listens on 127.0.0.1, port 0; closed after the test, its connections dropped so that the close cannot wait on them. */
export async function webSocketBackend(t: { after(fn: () => unknown): void }): Promise<WebSocketBackend> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  server.listen(0, '127.0.0.1');
  await event(server, 'listening', 'the WebSocket backend to listen');
  t.after(() => {
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { wss, port, uri: `ws://127.0.0.1:${port}/` };
}

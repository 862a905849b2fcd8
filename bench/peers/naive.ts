/**
 * `naive`: the WebSocket-to-TCP proxy Node gives for free, in about twenty lines: https.createServer with mutual
 * TLS, ws, and net.connect to the backend. The gateway must cost less than this on every measure.
 * Run as `naive.js CERT KEY CA SINK_PORT`; prints `{"port":N}` once it listens.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { connect } from 'node:net';
import { WebSocketServer } from 'ws';

const [cert, key, ca, sinkPort] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(cert as string), key: readFileSync(key as string), ca: readFileSync(ca as string), requestCert: true, rejectUnauthorized: true });
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  const backend = connect({ host: '127.0.0.1', port: Number(sinkPort), noDelay: true });
  ws.on('message', (data: Buffer) => backend.write(data));
  backend.on('data', (data) => ws.send(data));
  ws.on('close', () => backend.end());
  backend.on('close', () => ws.close());
  ws.on('error', () => backend.destroy());
  backend.on('error', () => ws.terminate());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));

/**
 * `tls-relay`: the floor for anything built on Node's TLS. tls.createServer with mutual TLS, each connection piped
 * to the backend and back, with no WebSocket at all: the client speaks bare TLS to it, as to nginx stream.
 * Run as `tls-relay.js CERT KEY CA SINK_PORT`; prints `{"port":N}` once it listens.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [cert, key, ca, sinkPort] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(cert as string), key: readFileSync(key as string), ca: readFileSync(ca as string), requestCert: true, rejectUnauthorized: true }, (client) => {
  client.setNoDelay(true);
  const backend = connect({ host: '127.0.0.1', port: Number(sinkPort), noDelay: true });
  client.pipe(backend).pipe(client);
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));

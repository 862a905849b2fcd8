/**
 * `tls-relay`: the floor for anything built on Node's TLS. tls.createServer with mutual TLS, each connection piped
 * to the backend and back, with no WebSocket at all: the client speaks bare TLS to it, as to nginx stream.
 * Run as `tls-relay.js CERT KEY CA SINK_PORT [WORKERS]`; prints `{"port":N}` once it listens. With WORKERS above 1
 * it is that many processes sharing the port (node:cluster, as `bin/gateway start --workers N` is), the floor for
 * the `workers` scenario.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [cert, key, ca, sinkPort, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 1);

function report(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === workers) report(address.port);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const server = createServer({ cert: readFileSync(cert as string), key: readFileSync(key as string), ca: readFileSync(ca as string), requestCert: true, rejectUnauthorized: true }, (client) => {
    client.setNoDelay(true);
    const backend = connect({ host: '127.0.0.1', port: Number(sinkPort), noDelay: true });
    client.pipe(backend).pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
  });
  // In a worker, port 0 is one port shared by every worker, chosen by the primary.
  server.listen(0, '127.0.0.1', () => {
    if (workers <= 1) report((server.address() as { port: number }).port);
  });
}

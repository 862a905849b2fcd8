/**
 * The peers kept in bench/peers/, each a Node process of its own started with the run's certificates: `naive`
 * (https + ws + net, the proxy Node gives for free), `tls-relay` (tls.createServer piped to the backend, no WebSocket:
 * the floor for Node's TLS) and `ws-relay`. Each gets the OpenSSL settings the gateway's launcher gives the gateway
 * (bin/openssl.cnf, or the operator's OPENSSL_CONF), so that what is compared is the code, not a setting any of them
 * could make: one TLS 1.3 session ticket instead of two is 12 KiB per idle connection and a tenth of the gateway's
 * CPU per full handshake (docs/PERFORMANCE.md).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIST, REPO_ROOT } from '../paths.js';
import { onCpus } from '../pin.js';
import { captureOutput } from '../procs.js';
import { withFileLimit } from './limits.js';
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';

const START_TIMEOUT_MS = 15000;

function nodePeer(name: string, script: string, protocol: 'ws' | 'tls', description: string, processes = 1, multiProcess = false): SystemSpec {
  const spec: SystemSpec = {
    name,
    description,
    peer: true,
    async detect() {
      return undefined;
    },
    async start(ctx: SystemContext): Promise<RunningSystem> {
      const { files } = ctx.pki;
      const [limited, limitedArgs] = withFileLimit(process.execPath, [join(BENCH_DIST, 'peers', script), files.serverCert, files.serverKey, files.ca, String(ctx.sinkPort), String(processes)], ctx.fileLimit);
      const [cmd, args] = onCpus(limited, limitedArgs, ctx.cpus);
      const child = ctx.procs.spawn(cmd, args, { cwd: ctx.workDir, env: { ...process.env, OPENSSL_CONF: process.env['OPENSSL_CONF'] ?? join(REPO_ROOT, 'bin', 'openssl.cnf') } });
      const output = captureOutput(child);
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${output().trim()}`)));
        createInterface({ input: child.stdout! }).once('line', (line) => {
          clearTimeout(timer);
          try {
            resolve((JSON.parse(line) as { port: number }).port);
          } catch {
            reject(new Error(`${name} printed "${line}" instead of its port`));
          }
        });
      }).catch(async (err: unknown) => {
        await ctx.procs.stop(child);
        throw err;
      });
      return {
        endpoint: { protocol, host: '127.0.0.1', port, path: '/' },
        pids: [child.pid as number],
        stop: () => ctx.procs.stop(child),
      };
    },
  };
  if (multiProcess) spec.workers = (n: number) => nodePeer(`${name}-${n}w`, script, protocol, `${description}, ${n} processes (node:cluster)`, n);
  return spec;
}

export const naive = nodePeer('naive', 'naive.js', 'ws', 'https.createServer({requestCert}) + ws + net.connect in 20 lines (bench/peers/naive.ts): what Node gives for free');
export const wsRelay = nodePeer('ws-relay', 'ws-relay.js', 'ws', 'tls.createServer({requestCert}) with the upgrade read by hand and frames (un)masked by hand, no http, no ws (bench/peers/ws-relay.ts): the floor for a WebSocket relay on Node\'s TLS');
export const tlsRelay = nodePeer('tls-relay', 'tls-relay.js', 'tls', 'tls.createServer({requestCert}) piped to the backend, no WebSocket (bench/peers/tls-relay.ts): the floor for Node\'s TLS', 1, true);

/** This project's gateway: `bin/gateway start` with a proxy service in front of the sink, mutual TLS required. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../paths.js';
import { captureOutput } from '../procs.js';
import { withFileLimit } from './limits.js';
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';

const ACCEPT = 'wss://127.0.0.1:0/bench';
const START_TIMEOUT_MS = 30000;

export function gatewayConfig(sinkPort: number, keystore: string, truststore: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">
  <service>
    <name>bench</name>
    <accept>${ACCEPT}</accept>
    <connect>tcp://127.0.0.1:${sinkPort}</connect>
    <type>proxy</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
    </accept-options>
  </service>
  <security>
    <keystore><type>PEM</type><file>${keystore}</file></keystore>
    <truststore><type>PEM</type><file>${truststore}</file></truststore>
  </security>
</gateway-config>
`;
}

interface LogLine {
  msg?: string;
  event?: string;
  accept?: string;
  port?: number;
}

/**
 * The gateway as `bin/gateway start` runs it; `workers` > 1 adds `--workers N` (processes sharing the port) and
 * makes a column of its own, `gateway-Nw`, next to the single-process gateway that the goals are measured on.
 */
export function gatewaySystem(workers = 1): SystemSpec {
  return {
    name: workers > 1 ? `gateway-${workers}w` : 'gateway',
    description:
      'this project: `bin/gateway start' + (workers > 1 ? ` --workers ${workers}` : '') + '`, one proxy service, ssl.verify-client required, PEM stores, default options',
    peer: false,
    async detect() {
      if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'index.js'))) return 'the gateway is not built (`npm run build`)';
      return undefined;
    },
    async start(ctx: SystemContext): Promise<RunningSystem> {
      const config = join(ctx.workDir, 'gateway-config.xml');
      writeFileSync(config, gatewayConfig(ctx.sinkPort, ctx.pki.files.serverBundle, ctx.pki.files.ca));
      const startArgs = [join(REPO_ROOT, 'bin', 'gateway'), 'start', '--config', config, '--log-format', 'json'];
      if (workers > 1) startArgs.push('--workers', String(workers));
      const [cmd, args] = withFileLimit(process.execPath, startArgs, ctx.fileLimit);
      const child = ctx.procs.spawn(cmd, args, { cwd: ctx.workDir });
      const output = captureOutput(child);
      const port = await new Promise<number>((resolve, reject) => {
        let bound: number | undefined;
        let started = 0;
        const rl = createInterface({ input: child.stdout! });
        const timer = setTimeout(() => finish(new Error(`the gateway did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        const onExit = (code: number | null) => finish(new Error(`the gateway exited (${code}) before it started:\n${output().trim()}`));
        const finish = (err: Error | undefined) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          rl.close();
          // Per-connection log lines keep coming: keep the pipe drained (unparsed) so the gateway never blocks on it.
          child.stdout!.resume();
          if (err) reject(err);
          else if (bound === undefined) reject(new Error(`the gateway started but logged no "listening" line for ${ACCEPT}`));
          else resolve(bound);
        };
        child.once('exit', onExit);
        child.once('error', (err) => finish(err));
        rl.on('line', (text) => {
          let line: LogLine;
          try {
            line = JSON.parse(text) as LogLine;
          } catch {
            return;
          }
          if (line.event === 'listening' && line.accept === ACCEPT && typeof line.port === 'number') bound = line.port;
          // Each worker reports its own start; all of them must be serving before the clock runs.
          if (line.msg?.startsWith('Started server successfully') && ++started === workers) finish(undefined);
        });
      });
      return {
        endpoint: { protocol: 'ws', host: '127.0.0.1', port, path: '/bench' },
        pids: [child.pid as number],
        stop: () => ctx.procs.stop(child),
      };
    },
  };
}

export const gateway: SystemSpec = gatewaySystem();

/**
 * The real `bin/gateway` as a scenario runs it: a generated configuration, JSON logs read by a LogWatch, and the
 * process's open file descriptors and resident memory read from /proc.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeMemory } from '../bench/memory.js';
import { launchGateway } from '../bench/systems/gateway.js';
import { renderConfig, type SoakService } from './config.js';
import { LogWatch } from './log-watch.js';
import type { SoakContext } from './scenarios/types.js';

export interface ProcessStats {
  readonly fds: number;
  readonly rssKiB: number;
}

/** Descriptors and VmRSS of one process; NaN for what cannot be read (the process is gone). */
export function processStats(pid: number): ProcessStats {
  let fds = Number.NaN;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // exited
  }
  const memory = treeMemory([pid]);
  return { fds, rssKiB: memory.processes > 0 ? memory.rssKiB : Number.NaN };
}

export interface SoakGateway {
  readonly pid: number;
  readonly logs: LogWatch;
  /** The port an accept URI (as written in the configuration) is bound to. */
  port(accept: string): number;
  stats(): ProcessStats;
  /** False once the process has exited, for whatever reason. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface GatewayStart {
  readonly services: readonly SoakService[];
  /** Soft open-file limit for the gateway. */
  readonly fileLimit?: number;
}

/** Writes the configuration into the scenario's directory and starts the gateway on it. */
export async function startGateway(ctx: SoakContext, start: GatewayStart): Promise<SoakGateway> {
  const config = join(ctx.workDir, 'gateway-config.xml');
  const rendered = renderConfig(
    { services: start.services, keystore: ctx.pki.files.serverBundle, truststore: ctx.pki.files.ca },
    (option) => ctx.features.knows(option),
  );
  for (const option of rendered.omitted) ctx.note(`the gateway does not know the accept-option ${option}: the configuration goes without it`);
  writeFileSync(config, rendered.xml);
  const logs = new LogWatch();
  const gw = await launchGateway({
    procs: ctx.procs,
    args: ['--config', config, '--log-format', 'json'],
    cwd: ctx.workDir,
    fileLimit: start.fileLimit ?? 4096,
    onLine: (text, stream) => logs.push(text, stream),
  });
  return {
    pid: gw.pid,
    logs,
    port(accept) {
      const p = gw.ports.get(accept);
      if (p === undefined) throw new Error(`the gateway logged no "listening" line for ${accept}`);
      return p;
    },
    stats: () => processStats(gw.pid),
    alive: () => gw.child.exitCode === null && gw.child.signalCode === null,
    stop: () => gw.stop(),
  };
}

/**
 * websockify, the established WebSocket-to-TCP bridge (Debian package `websockify`, numpy for fast unmasking),
 * run with mutual TLS: `--ssl-only --verify-client --cafile`. It forks a process per connection.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { freePort, waitForPort, captureOutput } from '../procs.js';
import { onCpus } from '../pin.js';
import { withFileLimit } from './limits.js';
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';
import { which } from './which.js';

const INSTALL = 'apt-get install -y websockify python3-numpy';

function interpreter(script: string): string | undefined {
  try {
    const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (!m) return undefined;
    // `#!/usr/bin/env python3` names the interpreter in the second word.
    return m[1]?.endsWith('/env') ? m[2] : m[1];
  } catch {
    return undefined;
  }
}

export const websockify: SystemSpec = {
  name: 'websockify',
  description: 'websockify --ssl-only --verify-client --cafile (Python, a process per connection, numpy)',
  peer: true,
  // Each connection is a forked Python process, accepted about ten a second.
  idleShare: 0.1,
  async detect() {
    const bin = which('websockify', ['/usr/bin']);
    if (!bin) return `websockify is not installed (${INSTALL})`;
    const python = interpreter(bin) ?? 'python3';
    const probe = spawnSync(python, ['-c', 'import websockify, numpy'], { stdio: 'ignore' });
    if (probe.status !== 0) return `websockify or numpy is missing for ${python} (${INSTALL})`;
    return undefined;
  },
  async start(ctx: SystemContext): Promise<RunningSystem> {
    const bin = which('websockify', ['/usr/bin']) as string;
    const port = await freePort();
    const [cmd, args] = onCpus(...withFileLimit(
      bin,
      [
        '--ssl-only',
        '--verify-client',
        '--cafile',
        ctx.pki.files.ca,
        '--cert',
        ctx.pki.files.serverCert,
        '--key',
        ctx.pki.files.serverKey,
        `127.0.0.1:${port}`,
        `127.0.0.1:${ctx.sinkPort}`,
      ],
      ctx.fileLimit,
    ), ctx.cpus);
    const child = ctx.procs.spawn(cmd, args, { cwd: ctx.workDir });
    const output = captureOutput(child);
    try {
      await waitForPort(port, child, 'websockify');
    } catch (err) {
      await ctx.procs.stop(child);
      throw new Error(`${(err as Error).message}\n${output().trim()}`);
    }
    return {
      endpoint: { protocol: 'ws', host: '127.0.0.1', port, path: '/' },
      pids: [child.pid as number],
      stop: () => ctx.procs.stop(child),
    };
  },
};

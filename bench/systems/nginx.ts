/**
 * nginx stream TLS termination with `ssl_verify_client on` (Debian packages `nginx` and `libnginx-mod-stream`).
 * It does no WebSocket framing, so the client speaks bare TLS to it: the limit a TLS terminator written in C
 * reaches. Run from a generated configuration in its own directory, in the foreground.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { onCpus } from '../pin.js';
import { captureOutput, freePort, waitForPort } from '../procs.js';
import type { RunningSystem, SystemContext, SystemSpec } from './types.js';
import { which } from './which.js';

const INSTALL = 'apt-get install -y nginx libnginx-mod-stream';
const MODULE_DIRS = ['/usr/lib/nginx/modules', '/usr/lib64/nginx/modules', '/usr/share/nginx/modules'];

interface NginxInstall {
  readonly bin: string;
  /** The stream module to load, when it is built as a dynamic module. */
  readonly module: string | undefined;
}

function findNginx(): NginxInstall | string {
  const bin = which('nginx', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']);
  if (!bin) return `nginx is not installed (${INSTALL})`;
  const version = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const build = `${version.stdout ?? ''}${version.stderr ?? ''}`;
  if (/--with-stream(\s|$)/.test(build)) return { bin, module: undefined };
  if (!/--with-stream=dynamic/.test(build)) return `${bin} is built without the stream module (${INSTALL})`;
  const module = MODULE_DIRS.map((d) => join(d, 'ngx_stream_module.so')).find((p) => existsSync(p));
  if (!module) return `the nginx stream module is not installed (${INSTALL})`;
  return { bin, module };
}

export interface NginxConfigInput {
  readonly module: string | undefined;
  readonly dir: string;
  readonly port: number;
  readonly sinkPort: number;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly fileLimit: number;
  /** worker_processes. */
  readonly workers: number;
}

export function nginxConfig(c: NginxConfigInput): string {
  return `${c.module ? `load_module ${c.module};\n` : ''}daemon off;
worker_processes ${c.workers};
worker_rlimit_nofile ${c.fileLimit};
pid ${join(c.dir, 'nginx.pid')};
error_log ${join(c.dir, 'error.log')} warn;
events { worker_connections ${Math.max(1024, c.fileLimit - 64)}; }
stream {
  server {
    listen 127.0.0.1:${c.port} ssl backlog=4096;
    ssl_certificate ${c.cert};
    ssl_certificate_key ${c.key};
    ssl_client_certificate ${c.ca};
    ssl_verify_client on;
    # nginx before 1.23.4 leaves TLS 1.3 out by default; the other systems negotiate it, so this one must too.
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_pass 127.0.0.1:${c.sinkPort};
  }
}
`;
}

/**
 * nginx stream with `workers` worker processes: one for the pinned scenarios (its core is the system's one core),
 * two (`nginx-stream-2w`) for the unpinned `workers` scenario.
 */
export function nginxSystem(workers = 1): SystemSpec {
  return {
  name: workers > 1 ? `nginx-stream-${workers}w` : 'nginx-stream',
  description: `nginx stream TLS termination, ssl_verify_client on, worker_processes ${workers} (TLS only, no WebSocket)`,
  peer: true,
  async detect() {
    const found = findNginx();
    return typeof found === 'string' ? found : undefined;
  },
  async start(ctx: SystemContext): Promise<RunningSystem> {
    const found = findNginx();
    if (typeof found === 'string') throw new Error(found);
    const port = await freePort();
    const file = join(ctx.workDir, 'nginx.conf');
    writeFileSync(
      file,
      nginxConfig({
        module: found.module,
        dir: ctx.workDir,
        port,
        sinkPort: ctx.sinkPort,
        cert: ctx.pki.files.serverCert,
        key: ctx.pki.files.serverKey,
        ca: ctx.pki.files.ca,
        fileLimit: ctx.fileLimit,
        workers,
      }),
    );
    // -e: the error log before the configuration is read (otherwise the packaged path under /var/log is used).
    const child = ctx.procs.spawn(...onCpus(found.bin, ['-p', ctx.workDir, '-c', file, '-e', join(ctx.workDir, 'error.log')], ctx.cpus), { cwd: ctx.workDir });
    const output = captureOutput(child);
    try {
      await waitForPort(port, child, 'nginx');
    } catch (err) {
      await ctx.procs.stop(child);
      throw new Error(`${(err as Error).message}\n${output().trim()}`);
    }
    return {
      endpoint: { protocol: 'tls', host: '127.0.0.1', port, path: '/' },
      pids: [child.pid as number],
      stop: () => ctx.procs.stop(child),
    };
  },
  workers: (n) => nginxSystem(n),
  };
}

export const nginxStream: SystemSpec = nginxSystem();

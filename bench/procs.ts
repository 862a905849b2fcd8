/**
 * Every process the harness starts goes through here, so that all of them are stopped at the end, on Ctrl-C and on
 * failure. Each child leads its own process group, and stopping signals the group: websockify forks a process per
 * connection, nginx has workers, and those must go too.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ProcessGroup {
  readonly #children = new Set<ChildProcess>();

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    // A spawn failure (ENOENT) is reported by whoever waits on the child; without a listener it would throw here.
    child.on('error', () => undefined);
    return child;
  }

  /** SIGTERM to the child's group, SIGKILL if it has not exited after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      killGroup(child.pid, 'SIGKILL');
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    // The leader may be gone while forked children of its group live on: finish the group either way.
    killGroup(child.pid, 'SIGKILL');
    if (outcome === 'timeout') await exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c)));
  }

  /** Synchronous last resort for process exit: no waiting possible there. */
  killAllNow(): void {
    for (const c of this.#children) killGroup(c.pid, 'SIGKILL');
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * A port that was free a moment ago, for programs (nginx, websockify) that cannot report the port they bound when
 * given 0. Another process could take it in between; the start-up check then fails with a clear error.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Waits until something accepts TCP connections on the port, or the child exits, or the time is up. Programs that
 * print nothing reliable when ready leave only this; the retry interval grows so a slow start costs few attempts.
 */
export async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on port ${port}`);
    if (await tryConnect(port)) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s`);
}

/** Collects a child's output (bounded), to show when it fails. */
export function captureOutput(child: ChildProcess, limit = 64 * 1024): () => string {
  let text = '';
  const take = (d: Buffer) => {
    if (text.length < limit) text += d.toString();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => text;
}

/**
 * Runs a harness (the benchmark, the soak) with a process group of its own: everything it started is stopped on
 * SIGINT or SIGTERM and killed when the process exits. Resolves with the exit code: 0 when it ran, 1 when it threw.
 */
export async function runWithProcessGroup(what: string, body: (procs: ProcessGroup) => Promise<void>): Promise<number> {
  const procs = new ProcessGroup();
  process.on('exit', () => procs.killAllNow());
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping everything the ${what} started\n`);
    void procs.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await body(procs);
    return 0;
  } catch (err) {
    process.stderr.write(`${what} failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

/**
 * Runs a harness's body in a temporary directory of its own. Afterwards, whether the body succeeded or threw,
 * stops everything `procs` started and only then removes the directory, so that no process still writes into it.
 */
export async function inWorkDir(prefix: string, procs: ProcessGroup, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The start of a harness's main(): its options, or the exit code when there is nothing to run (`--help`: 0, after
 * printing the usage; arguments that do not parse: 2, after saying why).
 */
export function harnessOptions<T extends { readonly help: boolean }>(parse: (argv: readonly string[]) => T, usage: string): T | number {
  let opts: T;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  return opts;
}

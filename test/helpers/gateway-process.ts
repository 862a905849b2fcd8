/**
 * Runs the real `bin/gateway` as a child process with JSON logs (`start`, or `connect`), and lets a test wait for log
 * lines. The gateway is started with accepts on port 0; the ports it really bound are read from its `listening` log
 * lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { repoPath } from './paths.js';
import { WAIT_MS, withDeadline } from './deadline.js';

/** How long a gateway process may take to start, to run a command, or to exit once told to stop. */
const PROCESS_MS = 3 * WAIT_MS;

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a gateway command to completion (check, keystore list, …); one still running after `ms` is killed. */
export async function runGateway(args: string[], env: NodeJS.ProcessEnv = {}, ms = PROCESS_MS): Promise<RunResult> {
  const child = spawn(process.execPath, [repoPath('bin/gateway'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  try {
    return await withDeadline(done, ms, `\`gateway ${args.join(' ')}\` to exit`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

interface Waiter {
  readonly predicate: (l: LogLine) => boolean;
  readonly what: string;
  resolve(l: LogLine): void;
  reject(e: Error): void;
}

export class GatewayProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly #child: ChildProcess;
  readonly #output: ReturnType<typeof createInterface>;
  readonly #waiters = new Set<Waiter>();
  /** How the gateway exited, once it has and its output is all read. */
  #ended: string | undefined;
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    const rl = createInterface({ input: child.stdout! });
    this.#output = rl;
    rl.on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 30, msg: text };
      }
      this.lines.push(line);
      for (const w of this.#waiters) {
        if (w.predicate(line)) {
          this.#waiters.delete(w);
          w.resolve(line);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // 'close' comes after the last line of output was read: a line still awaited then will never come.
    child.on('close', (code, signal) => {
      this.#ended = signal ?? `code ${code}`;
      for (const w of this.#waiters) w.reject(new Error(`the gateway exited (${this.#ended}) while waiting for ${w.what}`));
      this.#waiters.clear();
    });
  }

  /**
   * Starts `bin/gateway start --config FILE` (the default configuration when FILE is undefined) and waits until it
   * reports it started (or exits).
   */
  static start(configFile: string | undefined, extraArgs: string[] = []): Promise<GatewayProcess> {
    const config = configFile === undefined ? [] : ['--config', configFile];
    return GatewayProcess.launch(['start', ...config, ...extraArgs]);
  }

  /**
   * Starts `bin/gateway start --config FILE --workers COUNT` and waits until every worker has reported its start:
   * before that, a worker would not yet take its share of connections or answer the primary.
   */
  static async startWorkers(configFile: string, count: number, extraArgs: string[] = []): Promise<GatewayProcess> {
    const gw = await GatewayProcess.start(configFile, ['--workers', String(count), ...extraArgs]);
    await gw.workersStarted(count);
    return gw;
  }

  /** Waits until workers 1 to `count` have logged their start. */
  async workersStarted(count: number): Promise<void> {
    for (let n = 1; n <= count; n++) await this.waitFor((l) => l.msg === `worker ${n} started`);
  }

  /** Starts `bin/gateway connect ARGS` (from `cwd`, where relative store paths are read) and waits as start does. */
  static connect(args: string[], cwd?: string): Promise<GatewayProcess> {
    return GatewayProcess.launch(['connect', ...args], cwd);
  }

  /**
   * Runs `bin/gateway COMMAND ARGS --log-format json` until it logs that it started; one that exits first fails.
   * With `program`, bin/gateway is run itself, through its shell line (with this Node first on PATH), as an operator
   * runs it; otherwise as `node bin/gateway`.
   */
  static async launch(commandAndArgs: string[], cwd?: string, options: { program?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<GatewayProcess> {
    const [command, ...args] = commandAndArgs;
    const argv = [command ?? 'start', '--log-format', 'json', ...args];
    const env = { ...process.env, ...options.env };
    if (options.program) env['PATH'] = `${dirname(process.execPath)}${delimiter}${env['PATH'] ?? ''}`;
    const child = options.program
      ? spawn(repoPath('bin/gateway'), argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env })
      : spawn(process.execPath, [repoPath('bin/gateway'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd, env });
    const gw = new GatewayProcess(child);
    try {
      await gw.waitFor((l) => l.msg.startsWith('Started server successfully'), PROCESS_MS);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start: ${(err as Error).message}\nstderr:\n${gw.stderr}`);
    }
    return gw;
  }

  /** Stops reading the gateway's stdout, as a log reader that hangs does: the pipe fills up and stays full. */
  pauseOutput(): void {
    this.#output.pause();
  }

  resumeOutput(): void {
    this.#output.resume();
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** The port an accept URI was bound to. */
  port(acceptUri: string): number {
    const line = this.lines.find((l) => l['event'] === 'listening' && l['accept'] === acceptUri);
    if (!line) throw new Error(`no listening line for ${acceptUri}`);
    return line['port'] as number;
  }

  /**
   * Resolves with the first log line, past or future, that matches. Rejects, naming the predicate and showing the
   * last lines logged, when `ms` pass first or the gateway exits first.
   */
  async waitFor(predicate: (l: LogLine) => boolean, ms = WAIT_MS): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen) return seen;
    const what = `a log line matching ${String(predicate)}`;
    let waiter!: Waiter;
    const found = new Promise<LogLine>((resolve, reject) => (waiter = { predicate, what, resolve, reject }));
    if (this.#ended === undefined) this.#waiters.add(waiter);
    else waiter.reject(new Error(`the gateway exited (${this.#ended}) while waiting for ${what}`));
    try {
      return await withDeadline(found, ms, what);
    } catch (err) {
      const last = this.lines.slice(-5).map((l) => `  ${l.msg}`);
      throw new Error(`${(err as Error).message}\nlast lines logged:\n${last.join('\n') || '  (none)'}`);
    } finally {
      this.#waiters.delete(waiter);
    }
  }

  /** Sends SIGTERM and resolves with the exit code; a gateway still running after `ms` is killed and reported. */
  async stop(ms = PROCESS_MS): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    try {
      return await withDeadline(this.exited, ms, 'the gateway to exit after SIGTERM');
    } catch (err) {
      this.#child.kill('SIGKILL');
      throw err;
    }
  }
}

/**
 * Runs the real `bin/gateway` as a child process with JSON logs, and lets a test wait for log lines. The gateway is
 * started with accepts on port 0; the ports it really bound are read from its `listening` log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoPath } from './paths.js';

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

/** Runs a gateway command to completion (check, keystore list, …). */
export function runGateway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin/gateway'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export class GatewayProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly #child: ChildProcess;
  readonly #waiters: { predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 30, msg: text };
      }
      this.lines.push(line);
      for (const w of [...this.#waiters]) {
        if (w.predicate(line)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * Starts `bin/gateway start --config FILE` (the default configuration when FILE is undefined) and waits until it
   * reports it started (or exits).
   */
  static async start(configFile: string | undefined, extraArgs: string[] = []): Promise<GatewayProcess> {
    const config = configFile === undefined ? [] : ['--config', configFile];
    const child = spawn(process.execPath, [repoPath('bin/gateway'), 'start', ...config, '--log-format', 'json', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gw = new GatewayProcess(child);
    const started = gw.waitFor((l) => l.msg.startsWith('Started server successfully'));
    const outcome = await Promise.race([started.then(() => 'started' as const), gw.exited.then(() => 'exited' as const)]);
    if (outcome === 'exited') {
      throw new Error(`gateway exited before starting:\n${gw.lines.map((l) => l.msg).join('\n')}\n${gw.stderr}`);
    }
    return gw;
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

  /** Resolves with the first log line, past or future, that matches. */
  waitFor(predicate: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  async stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    return this.exited;
  }
}

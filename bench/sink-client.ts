/** The harness's handle on the sink process. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIST } from './paths.js';
import type { ProcessGroup } from './procs.js';
import type { SinkMode, SinkReply, SinkRequest } from './sink.js';

export class Sink {
  readonly #child: ChildProcess;
  readonly port: number;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
  }

  /** Starts the sink on `port` (0: any free port). */
  static async start(procs: ProcessGroup, port = 0): Promise<Sink> {
    const child = procs.spawn(process.execPath, [join(BENCH_DIST, 'sink.js'), '--sink', String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const bound = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the TCP sink exited (${code}) before listening${port ? ` on port ${port}` : ''}`)));
      child.once('error', reject);
      child.on('message', (m: SinkReply) => {
        if (m.type === 'ready') resolve(m.port);
      });
    });
    child.removeAllListeners('exit');
    return new Sink(child, bound);
  }

  get child(): ChildProcess {
    return this.#child;
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  #request(req: SinkRequest, until: (r: SinkReply) => boolean): Promise<SinkReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: SinkReply) => {
        if (!until(m)) return;
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        resolve(m);
      };
      const onExit = () => {
        this.#child.off('message', onMessage);
        reject(new Error('the TCP sink exited'));
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send(req);
    });
  }

  async mode(mode: SinkMode): Promise<void> {
    await this.#request({ type: 'mode', mode }, (r) => r.type === 'ok');
  }

  async reset(): Promise<void> {
    await this.#request({ type: 'reset' }, (r) => r.type === 'ok');
  }

  /** Bytes discarded since the last reset. */
  async count(): Promise<number> {
    const reply = await this.#request({ type: 'count' }, (r) => r.type === 'count');
    return reply.type === 'count' ? reply.bytes : 0;
  }

  /** Resolves when the sink has discarded at least `bytes` since the last reset. */
  async reached(bytes: number): Promise<void> {
    await this.#request({ type: 'await', bytes }, (r) => r.type === 'reached');
  }
}

/** Samples a process's descriptors and memory on a clock, so that a peak between two readings is not missed. */
import { processStats, type ProcessStats } from './gateway.js';

export interface Sample extends ProcessStats {
  /** Milliseconds since the sampler started. */
  readonly atMs: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  readonly #pid: number;
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs: number) {
    this.#pid = pid;
    this.take();
    this.#timer = setInterval(() => this.take(), intervalMs);
  }

  take(): Sample {
    const s = { ...processStats(this.#pid), atMs: performance.now() - this.#started };
    this.samples.push(s);
    return s;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get peak(): ProcessStats {
    const finite = (values: number[]) => values.filter(Number.isFinite);
    return {
      fds: Math.max(...finite(this.samples.map((s) => s.fds))),
      rssKiB: Math.max(...finite(this.samples.map((s) => s.rssKiB))),
    };
  }
}

/**
 * With `start --workers`: which configuration is in force, and which one each worker runs. A reload is in force
 * once the primary has checked it; a worker runs what it was given as it started, or a reload it took since. A worker
 * given the configuration before a reload that was sent while it started (before it listened for reloads) is behind,
 * and is sent the one in force once it has started.
 */
export interface InForce<T> {
  readonly content: T;
  /** Which reload made it: 0 for the start, then 1, 2 … */
  readonly generation: number;
}

export class WorkerConfigurations<W, T> {
  #inForce: InForce<T>;
  readonly #runs = new Map<W, number>();

  constructor(content: T) {
    this.#inForce = { content, generation: 0 };
  }

  get inForce(): InForce<T> {
    return this.#inForce;
  }

  /** A starting worker is given the configuration in force. */
  give(worker: W): InForce<T> {
    this.#runs.set(worker, this.#inForce.generation);
    return this.#inForce;
  }

  /** A reload passed the primary's check: it is in force from now on. */
  adopt(content: T): InForce<T> {
    this.#inForce = { content, generation: this.#inForce.generation + 1 };
    return this.#inForce;
  }

  /** A worker swapped reload `generation` in. */
  took(worker: W, generation: number): void {
    this.#runs.set(worker, Math.max(this.#runs.get(worker) ?? 0, generation));
  }

  /** Whether a worker runs a configuration older than the one in force. */
  behind(worker: W): boolean {
    return (this.#runs.get(worker) ?? -1) < this.#inForce.generation;
  }

  forget(worker: W): void {
    this.#runs.delete(worker);
  }
}

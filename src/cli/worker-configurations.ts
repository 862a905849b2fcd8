/**
 * With `start --workers`: which configuration is in force, and which one each worker runs. A reload the primary has
 * checked is proposed to the workers; it is in force once one of them has taken it (or at once when none is there to
 * take it), so that a reload every worker refuses (an address it cannot bind) is never what a new worker is given.
 * A worker runs what it was given as it started, or a reload it took since; one given a configuration older than
 * the one in force (it started while a reload was under way) is behind, and is sent the one in force.
 */
export interface InForce<T> {
  readonly content: T;
  /** Which reload made it: 0 for the start, then 1, 2 … */
  readonly generation: number;
}

export class WorkerConfigurations<W, T> {
  #inForce: InForce<T>;
  #latest = 0;
  /** Reloads proposed and not yet taken by any worker, by generation. */
  readonly #proposed = new Map<number, T>();
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

  /** A reload the primary has checked, to be sent to the workers; in force once one takes it (took), or adopt(). */
  propose(content: T): InForce<T> {
    const generation = ++this.#latest;
    this.#proposed.set(generation, content);
    return { content, generation };
  }

  /** Puts a proposed reload in force without a worker's word: when no worker is there to take it. */
  adopt(generation: number): void {
    const content = this.#proposed.get(generation);
    if (content === undefined || generation <= this.#inForce.generation) return;
    this.#inForce = { content, generation };
    for (const g of this.#proposed.keys()) if (g <= generation) this.#proposed.delete(g);
  }

  /** A worker swapped reload `generation` in; true when that put it in force. */
  took(worker: W, generation: number): boolean {
    this.#runs.set(worker, Math.max(this.#runs.get(worker) ?? 0, generation));
    const before = this.#inForce.generation;
    this.adopt(generation);
    return this.#inForce.generation !== before;
  }

  /** Whether a worker runs a configuration older than the one in force. */
  behind(worker: W): boolean {
    return (this.#runs.get(worker) ?? -1) < this.#inForce.generation;
  }

  forget(worker: W): void {
    this.#runs.delete(worker);
  }
}

/**
 * Runs a job now, or once more after the run in progress: the requests made while it runs share that one further
 * run, which is given the first of their reasons, so a burst of them (an editor's saves, repeated SIGHUPs) costs
 * at most two. For reloads, which must not overlap and must not miss a change made while one ran.
 */
export class Coalescing<T> {
  readonly #job: (why: string) => Promise<T>;
  #running: Promise<T> | undefined;
  #again: Promise<T> | undefined;

  constructor(job: (why: string) => Promise<T>) {
    this.#job = job;
  }

  /** Resolves with the outcome of the run that covers this request: the one it starts, or the next one. */
  request(why: string): Promise<T> {
    if (!this.#running) {
      this.#running = this.#job(why).finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#again ??= this.#running.then(
      () => this.#next(why),
      () => this.#next(why),
    );
    return this.#again;
  }

  #next(why: string): Promise<T> {
    this.#again = undefined;
    return this.request(why);
  }
}

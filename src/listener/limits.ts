/**
 * `tcp.maximum.connections` and `tcp.maximum.connections.per.address`: how many connections one listening address
 * holds open, in all and from one client address. The total is taken at accept, before any byte is read; a client's
 * share once its real address is known (after a trusted PROXY header), and only for connections that are admitted,
 * so refused attempts never eat into a well-behaved client's share. A connection over its address's share, answered
 * 503 once the client has sent its request, gives its place in the total back while it waits: one address cannot
 * fill the listener for everyone else with connections it is refused. Those waiting are bounded apart: as many as
 * the share from one address, and as many as the total from all, so the listener never holds more than twice its
 * total; beyond either bound a connection over its share is closed at once.
 */

export class ConnectionLimits {
  #maximum: number;
  #perAddress: number | undefined;
  readonly #byAddress = new Map<string, number>();
  /** Connections over their address's share, waiting for the 503 they are owed (not in `#open`). */
  readonly #refusing = new Map<string, number>();
  #refusingInAll = 0;
  #open = 0;

  constructor(maximum: number, perAddress: number | undefined) {
    this.#maximum = maximum;
    this.#perAddress = perAddress;
  }

  /**
   * New maximums from a reload: they apply to connections accepted from now on; those open stay counted. A
   * connection that took no share (there was no per-address limit) never releases one.
   */
  setMaximums(maximum: number, perAddress: number | undefined): void {
    this.#maximum = maximum;
    this.#perAddress = perAddress;
  }

  get open(): number {
    return this.#open;
  }

  /** Counts a new connection, or returns false when the listener is full. */
  takeConnection(): boolean {
    if (this.#open >= this.#maximum) return false;
    this.#open++;
    return true;
  }

  releaseConnection(): void {
    this.#open--;
  }

  /**
   * Counts a connection against `address`'s share: `counted` (release it with releaseShare), `unlimited` (there is
   * no per-address limit, and nothing to release), or `full` when that share is used up.
   */
  takeShare(address: string): 'counted' | 'unlimited' | 'full' {
    if (this.#perAddress === undefined) return 'unlimited';
    const held = this.#byAddress.get(address) ?? 0;
    if (held >= this.#perAddress) return 'full';
    this.#byAddress.set(address, held + 1);
    return 'counted';
  }

  /**
   * For a connection over `address`'s share (takeShare said `full`): true when it is to be answered, its place in
   * the total given back (release it with releaseRefusal, not releaseConnection); false when as many from that
   * address, or from all, are being answered already, and it is to be closed now.
   */
  takeRefusal(address: string): boolean {
    const held = this.#refusing.get(address) ?? 0;
    if (held >= (this.#perAddress ?? 0) || this.#refusingInAll >= this.#maximum) return false;
    this.#refusing.set(address, held + 1);
    this.#refusingInAll++;
    this.#open--;
    return true;
  }

  releaseRefusal(address: string): void {
    release(this.#refusing, address);
    this.#refusingInAll--;
  }

  /** Gives back a share takeShare counted; only those, or a connection opened before a limit would free another's. */
  releaseShare(address: string): void {
    release(this.#byAddress, address);
  }
}

function release(counts: Map<string, number>, address: string): void {
  const held = (counts.get(address) ?? 1) - 1;
  if (held <= 0) counts.delete(address);
  else counts.set(address, held);
}

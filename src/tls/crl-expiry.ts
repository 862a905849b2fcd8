/**
 * Says when a CRL in force passes its nextUpdate. From then on OpenSSL refuses every new client of its CA
 * (CRL_HAS_EXPIRED) until a fresh CRL is installed, and the first sign of it would otherwise be the first refused
 * client; connected ones stay until the next CRL change or reload judges them again. Only the latest CRL of each
 * CA counts: an older one beside it in a directory is superseded, and its date means nothing.
 */
import { latestCrls, type CrlSummary, type LoadedCrls } from './crl.js';

/** setTimeout's longest delay; a nextUpdate further away is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `expired` once for each of the latest CRLs of `crls` when its nextUpdate, still to come, has passed. The timer
 * does not keep the process alive. Returns a function that stops watching.
 */
export function watchCrlExpiry(crls: LoadedCrls, expired: (crl: CrlSummary) => void, now: () => number = Date.now): () => void {
  const at = (c: CrlSummary): number => Date.parse(c.nextUpdate as string);
  const pending = latestCrls(crls).filter((c) => c.nextUpdate !== undefined && at(c) > now()).sort((a, b) => at(a) - at(b));
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const next = pending[0];
    if (next === undefined) return;
    timer = setTimeout(
      () => {
        const t = now();
        while (pending[0] !== undefined && at(pending[0]) <= t) expired(pending.shift() as CrlSummary);
        arm();
      },
      Math.min(MAX_DELAY_MS, Math.max(0, at(next) - now())),
    );
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

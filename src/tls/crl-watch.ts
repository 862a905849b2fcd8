/**
 * Re-reading `ssl.crl` when it changes. CAs publish a fresh CRL before the old one expires, usually by an atomic
 * rename over the file or by dropping a new file in a directory, so the gateway polls: a fingerprint of the file's
 * (or directory's files') identity, size and modification time, compared every interval. Polling sees renames and
 * directory changes the same way on every platform, where fs.watch would miss the one or the other.
 *
 * A change that does not load (half-written, garbage, deleted) reports an error and changes nothing: the caller
 * swaps its secure contexts only in onChange, so the CRLs in force stay until a good file appears. One that loads is
 * taken CA by CA as a successor of the CRLs in force (succeedCrls): a CA's CRL gone, or a stale copy, keeps the one
 * in force, and the warnings say so.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCrls, succeedCrls, type LoadCrlOptions, type LoadedCrls } from './crl.js';

export interface WatchCrlOptions extends LoadCrlOptions {
  /** Milliseconds between looks; default 2000. */
  readonly intervalMs?: number;
  /**
   * The fingerprint (crlFingerprint) taken before `inForce` was read: a change made since, before the watch began, is
   * then read at its first look. Default: the files as they are when the watch begins.
   */
  readonly readAt?: string;
}

export const DEFAULT_CRL_POLL_MS = 2000;

function stamp(path: string): string {
  const s = statSync(path, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** What changes when the CRLs at `path` may have: never throws (a missing path is a state of its own). */
export function crlFingerprint(path: string): string {
  try {
    if (!statSync(path).isDirectory()) return stamp(path);
    const names = readdirSync(path).filter((n) => !n.startsWith('.')).sort();
    return names
      .map((n) => {
        try {
          return `${n}=${stamp(join(path, n))}`;
        } catch {
          return `${n}=gone`;
        }
      })
      .join('|');
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/**
 * Polls `path` and calls `onChange` with the newly loaded CRLs, as successors of `inForce` (and of each change taken
 * since), after each change, or `onError` with the GatewayError (GW_ERR_TLS_CRL) when the changed file does not load;
 * the same bad state is reported once. `onChange` says whether it put them in force. The
 * timer does not keep the process alive. Returns a function that stops watching (safe to call twice).
 */
export function watchCrl(
  path: string,
  inForce: LoadedCrls,
  onChange: (crls: LoadedCrls) => boolean,
  onError: (err: unknown) => void,
  options: WatchCrlOptions = {},
): () => void {
  let last = options.readAt ?? crlFingerprint(path);
  let current = inForce;
  const timer = setInterval(() => {
    const now = crlFingerprint(path);
    if (now === last) return;
    last = now;
    let crls: LoadedCrls;
    try {
      crls = loadCrls(path, options);
    } catch (e) {
      onError(e);
      return;
    }
    const successor = succeedCrls(path, current, crls);
    if (onChange(successor)) current = successor;
  }, options.intervalMs ?? DEFAULT_CRL_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

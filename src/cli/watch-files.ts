/**
 * Watching the files behind a configuration (the XML, key and trust stores, their password files) so that saving
 * one reloads the gateway. Each file's folder is watched rather than the file: editors save by writing a new file
 * and renaming it over the old one, and keytool rewrites a store in place; a watch on the file itself would lose
 * track after the first rename, a watch on its folder sees every way the name gets new content. Events arrive in
 * bursts (truncate, write, rename), so the callback runs once the folder has been quiet for the debounce period.
 *
 * CRLs are not watched here: the gateway polls each `ssl.crl` itself (tls/crl-watch.ts) and swaps just that
 * listener's CRL.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export const DEFAULT_DEBOUNCE_MS = 300;

export interface WatchFilesOptions {
  readonly debounceMs?: number;
  /** A folder that cannot be watched (it does not exist, too many watches): reported, the rest still watched. */
  readonly onWatchError?: (dir: string, err: unknown) => void;
}

/**
 * Calls `onChange` with the paths that changed, once they have been quiet for the debounce period. Returns a
 * function that stops watching (safe to call twice).
 */
export function watchFiles(paths: readonly string[], onChange: (changed: string[]) => void, options: WatchFilesOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const byDir = new Map<string, Map<string, string>>();
  for (const p of paths) {
    const full = resolve(p);
    const dir = dirname(full);
    const names = byDir.get(dir) ?? new Map<string, string>();
    names.set(basename(full), p);
    byDir.set(dir, names);
  }
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    timer = undefined;
    const list = [...changed];
    changed.clear();
    onChange(list);
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        // Some platforms give no name; then any event in the folder may be ours.
        const name = filename === null ? undefined : filename.toString();
        const path = name === undefined ? [...names.values()][0] : names.get(name);
        if (path === undefined) return;
        changed.add(path);
        if (timer) clearTimeout(timer);
        timer = setTimeout(fire, debounceMs);
        timer.unref();
      });
      w.on('error', (err) => options.onWatchError?.(dir, err));
      watchers.push(w);
    } catch (err) {
      options.onWatchError?.(dir, err);
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const w of watchers.splice(0)) w.close();
  };
}

/**
 * Watching the files behind a configuration (the XML, key and trust stores, their password files) so that saving
 * one reloads the gateway. Each file's folder is watched rather than the file: editors save by writing a new file
 * and renaming it over the old one, and keytool rewrites a store in place; a watch on the file itself would lose
 * track after the first rename, a watch on its folder sees every way the name gets new content. Events arrive in
 * bursts (truncate, write, rename), so the callback runs once the folder has been quiet for the debounce period.
 *
 * A file may also change without an event under its own name: Kubernetes mounts a Secret or ConfigMap as symbolic
 * links through `..data`, and updates it by pointing `..data` at a new folder, so the folder's only events are
 * for `..data` and the folders behind it. An event for any other name in a watched folder therefore has that
 * folder's files looked at (through their links) once it is quiet, and those that are not as they were count as
 * changed.
 *
 * CRLs are not watched here: the gateway polls each `ssl.crl` itself (tls/crl-watch.ts) and swaps just that
 * listener's CRL.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export const DEFAULT_DEBOUNCE_MS = 300;

/** What each file is like now, through its links (its size, time of change and inode, or missing). */
export function fileStates(files: readonly string[]): Map<string, string> {
  const states = new Map<string, string>();
  for (const file of files) {
    try {
      const st = statSync(file);
      states.set(file, `${st.size}:${st.mtimeMs}:${st.ino}`);
    } catch {
      states.set(file, 'missing');
    }
  }
  return states;
}

/** The files of `states` that have changed since. */
export function changedSince(states: ReadonlyMap<string, string>): string[] {
  const now = fileStates([...states.keys()]);
  return [...states].filter(([file, state]) => now.get(file) !== state).map(([file]) => file);
}

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
  /** Each file as it was when the watch began or last reported a change. */
  const baseline = fileStates(paths);
  /** Folders with events for names other than their files': their files are looked at when quiet. */
  const suspect = new Set<Map<string, string>>();
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    timer = undefined;
    for (const names of suspect) {
      for (const [path, state] of fileStates([...names.values()])) if (state !== baseline.get(path)) changed.add(path);
    }
    suspect.clear();
    if (changed.size === 0) return;
    const list = [...changed];
    changed.clear();
    for (const [path, state] of fileStates(list)) baseline.set(path, state);
    onChange(list);
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        // Some platforms give no name: then the folder's files are looked at, as for another name.
        const name = filename === null ? undefined : filename.toString();
        const path = name === undefined ? undefined : names.get(name);
        if (path !== undefined) {
          changed.add(path);
          later();
          return;
        }
        // Another name: looked at when the timer fires, which it does not put off, so that a folder that is never
        // quiet (a log written beside the configuration) cannot hold back a reload.
        suspect.add(names);
        if (!timer) later();
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

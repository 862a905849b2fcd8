/**
 * The part of a request path below a directory service's accept path, as the names of the file to serve. Path
 * traversal is refused whatever its encoding: `..` plain or percent-encoded (`%2e%2e`), an encoded slash or
 * backslash (`%2f`, `%5c`) or a backslash, a NUL, and anything still percent-encoded after one decoding (double
 * encoding, `%252e`) are answered 400 before any file is looked at. Names beginning with a dot are not served (404).
 */
import { sep } from 'node:path';

export type RequestTarget =
  | { readonly ok: true; readonly names: readonly string[]; readonly trailingSlash: boolean }
  | { readonly ok: false; readonly status: 400 | 404; readonly reason: string };

/** `rawPath`: the request path as sent (no query), below the accept path: `''`, `/`, `/a/b.html`, … */
export function requestTarget(rawPath: string): RequestTarget {
  if (rawPath.includes('\\')) return refused(400, 'backslash in path');
  const rawNames = rawPath.split('/').filter((n) => n !== '');
  const names: string[] = [];
  for (const raw of rawNames) {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return refused(400, 'malformed percent-encoding');
    }
    if (name.includes('\0')) return refused(400, 'NUL in path');
    if (name.includes('/') || name.includes('\\')) return refused(400, 'encoded slash or backslash in path');
    if (/%[0-9a-f]{2}/i.test(name)) return refused(400, 'percent-encoding left after decoding (double encoding)');
    if (name === '.' || name === '..') return refused(400, 'dot segment in path');
    if (name.startsWith('.')) return refused(404, 'hidden file');
    names.push(name);
  }
  return { ok: true, names, trailingSlash: rawPath.endsWith('/') };
}

function refused(status: 400 | 404, reason: string): RequestTarget {
  return { ok: false, status, reason };
}

/** Whether `file`, a real path (links followed), is `root` or below it; `root` is a real path too. */
export function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The page `options indexes` serves for a directory without a welcome file: sub-directories first, then files,
 * each group sorted by name, with size and modification time. What is never served is not listed either: names
 * beginning with a dot, and links whose real path is outside the directory served (their size and date would tell
 * of files the service keeps to itself). Names are HTML-escaped and their links percent-encoded.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import escapeHtml from 'escape-html';
import { isInside } from './directory-path.js';

interface Entry {
  readonly name: string;
  readonly directory: boolean;
  readonly size: number;
  readonly modified: Date;
}

const SIZE_UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

function size(bytes: number): string {
  let n = bytes;
  let unit = 0;
  while (n > 1024 && unit < SIZE_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

async function entries(root: string, directory: string): Promise<Entry[]> {
  const names = (await readdir(directory)).filter((n) => !n.startsWith('.'));
  const found = await Promise.all(
    names.map(async (name) => {
      try {
        const file = await realpath(join(directory, name));
        if (!isInside(root, file)) return undefined;
        const s = await stat(file);
        return { name, directory: s.isDirectory(), size: s.size, modified: s.mtime };
      } catch {
        return undefined; // gone since readdir, or a dangling link: not listed
      }
    }),
  );
  const list = found.filter((e): e is Entry => e !== undefined);
  return list.sort((a, b) => Number(b.directory) - Number(a.directory) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * `root`: the real path of the directory served; `directory`: the real path of the one listed, inside it;
 * `requestPath`: the path the client asked for (ends in `/`), shown as the title.
 */
export async function directoryListing(root: string, directory: string, requestPath: string): Promise<string> {
  const rows = (await entries(root, directory)).map((e) => {
    const href = encodeURIComponent(e.name) + (e.directory ? '/' : '');
    const label = escapeHtml(e.name) + (e.directory ? '/' : '');
    return `<tr><td><a href="${href}">${label}</a></td><td class="number">${e.directory ? '' : size(e.size)}</td><td class="date">${e.modified.toISOString()}</td></tr>`;
  });
  const title = escapeHtml(requestPath);
  const parent = requestPath === '/' ? '' : '<tr><td><a href="../">../ (parent directory)</a></td><td></td><td></td></tr>';
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Index of ${title}</title>` +
    '<style>body{font-family:sans-serif}td{padding:2px 12px}td.number,td.date{text-align:right}</style></head>' +
    `<body><h1>Index of ${title}</h1><table><thead><tr><th>Name</th><th>Size</th><th>Last modified</th></tr></thead><tbody>` +
    parent +
    rows.join('') +
    '</tbody></table></body></html>\n'
  );
}

/**
 * `*` wildcards in access-constraint values. A pattern is kept as its literal pieces, with a wildcard between each
 * two, so that escaping is settled once by the parser that knows the value's syntax (RFC 4514 for subjects, a
 * backslash for SANs) and matching never builds a regular expression from configuration text.
 */

/** Literal pieces; a single piece means no wildcard. `['device-', '']` is `device-*`. */
export type WildcardPattern = readonly string[];

/**
 * True when `value` matches. A wildcard stands for any run of characters, empty included; with `starMatchesDot`
 * false (DNS names) it never covers a `.`, so `*.acme.com` names one label, as in certificate name matching.
 *
 * Taking the leftmost occurrence of each middle piece is optimal (it leaves the most room for the rest), so this
 * is linear-ish with no backtracking, whatever the pattern.
 */
export function wildcardMatch(pattern: WildcardPattern, value: string, starMatchesDot = true): boolean {
  if (pattern.length <= 1) return value === (pattern[0] ?? '');
  const first = pattern[0] ?? '';
  const last = pattern[pattern.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  const end = value.length - last.length;
  let cursor = first.length;
  for (let i = 1; i < pattern.length - 1; i++) {
    const piece = pattern[i] ?? '';
    const at = value.indexOf(piece, cursor);
    if (at < 0 || at + piece.length > end) return false;
    if (!starMatchesDot && value.slice(cursor, at).includes('.')) return false;
    cursor = at + piece.length;
  }
  return starMatchesDot || !value.slice(cursor, end).includes('.');
}

/**
 * Splits a plain-text pattern at unescaped `*`. `\*` is a literal star and `\\` a literal backslash; any other
 * backslash stands for itself, so that values which happen to contain one need no escaping.
 */
export function splitWildcards(text: string): WildcardPattern {
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '\\' && (next === '*' || next === '\\')) {
      current += next;
      i++;
    } else if (c === '*') {
      pieces.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  pieces.push(current);
  return pieces;
}


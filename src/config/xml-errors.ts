/**
 * fast-xml-parser's validator finds where a file stops being XML; this turns what it says into words a user can
 * act on, at the place the XML breaks. For a file that ends with elements still open (a truncated file, or a
 * missing closing tag) the validator names only the open tags, so the open elements and where each was opened are
 * found here by a scan of the text, which the validator has already shown to be well-formed up to its end.
 */
import type { SourcePosition } from './types.js';

export interface XmlProblem {
  readonly message: string;
  readonly position: SourcePosition;
  readonly hint: string | undefined;
}

interface ValidatorError {
  readonly code: string;
  readonly msg: string;
  readonly line?: number;
  readonly col?: number;
}

interface OpenTag {
  readonly name: string;
  readonly offset: number;
}

type At = (offset: number) => SourcePosition;

export function describeXmlError(source: string, err: ValidatorError, file: string, at: At): XmlProblem {
  const position: SourcePosition = err.line === undefined ? { file } : err.col === undefined ? { file, line: err.line } : { file, line: err.line, column: err.col };
  const unclosedAtEnd = /^Unclosed tag '|^Invalid '\[/.test(err.msg);
  if (unclosedAtEnd || endsInsideTag(source, position, at)) return describeUnclosed(source, at);

  let m: RegExpExecArray | null;
  if ((m = /^Expected closing tag '(.*)' \(opened in line (\d+), col (\d+)\) instead of closing tag '(.*)'\.$/.exec(err.msg))) {
    const [, open, line, col, close] = m;
    return {
      message: `Not well-formed XML: </${close}> does not close <${open}>, which is open since ${line}:${col}`,
      position,
      hint: `close <${open}> with </${open}> before this, or correct the name of </${close}>`,
    };
  }
  if ((m = /^Closing tag '(.*)' has not been opened\.$/.exec(err.msg))) {
    return { message: `Not well-formed XML: </${m[1]}> closes no open element`, position, hint: `remove it, or add the <${m[1]}> it closes` };
  }
  if ((m = /^Tag '(.*)' is an invalid name\.$/.exec(err.msg))) {
    return { message: `Not well-formed XML: <${m[1]} is not a valid element name`, position, hint: 'write &lt; for a literal < in text' };
  }
  if (err.msg === "Invalid space after '<'.") {
    return { message: "Not well-formed XML: '<' followed by a space", position, hint: 'write &lt; for a literal < in text' };
  }
  if (err.msg === "char '&' is not expected.") {
    return { message: "Not well-formed XML: a bare '&'", position, hint: 'write &amp; for a literal &' };
  }
  if ((m = /^char '(.*)' is not expected\.$/.exec(err.msg))) {
    return { message: `Not well-formed XML: '${m[1]}' is not allowed here, outside any element`, position, hint: undefined };
  }
  if (err.msg === 'Start tag expected.') {
    return { message: 'Not well-formed XML: the file holds no element', position: { file }, hint: undefined };
  }
  if ((m = /^Attribute '(.*)' is without value\.$/.exec(err.msg))) {
    return { message: `Not well-formed XML: attribute ${m[1]} has no value`, position, hint: `write ${m[1]}="…"` };
  }
  // The validator's remaining messages are already plain sentences about the text at that position.
  return { message: `Not well-formed XML: ${err.msg.replace(/\.$/, '')}`, position, hint: undefined };
}

/**
 * Whether the problem the validator found is the file ending inside a tag (`…</ty`, `…</`): it then reports the
 * tag's unfinished text (a closing tag "without proper closing", a "space after '<'" that is the end of the file),
 * not that the file stops there.
 */
function endsInsideTag(source: string, position: SourcePosition, at: At): boolean {
  if (position.line === undefined) return false;
  const { unfinished } = openElementsAtEnd(source);
  if (unfinished === undefined) return false;
  const start = at(unfinished.offset);
  const line = start.line ?? 1;
  return position.line > line || (position.line === line && (position.column ?? 1) >= (start.column ?? 1));
}

function describeUnclosed(source: string, at: At): XmlProblem {
  const { open, unfinished } = openElementsAtEnd(source);
  const end = at(source.replace(/\s+$/, '').length);
  const list = [...open].reverse().map((t) => `<${t.name}> (opened at ${where(at(t.offset))})`);
  if (unfinished !== undefined) {
    return {
      message: `Not well-formed XML: the file ends inside ${unfinished.what} begun at ${where(at(unfinished.offset))}, with ${list.join(', ') || 'no element'} still open: the file looks truncated`,
      position: end,
      hint: 'restore the rest of the file',
    };
  }
  const [innermost] = list;
  return {
    message: `Not well-formed XML: the file ends with ${list.length === 1 ? `${innermost} still open` : `these elements still open: ${list.join(', ')}`}`,
    position: end,
    hint: 'the file looks truncated; or add the missing closing tag',
  };
}

function where(p: SourcePosition): string {
  return `${p.line ?? 1}:${p.column ?? 1}`;
}

const NAME = /^[^\s/>]+/;

/** The elements still open at the end of `source`, outermost first, and the unfinished markup the text ends inside. */
export function openElementsAtEnd(source: string): { open: OpenTag[]; unfinished: { what: string; offset: number } | undefined } {
  const open: OpenTag[] = [];
  let i = source.indexOf('<');
  while (i >= 0 && i < source.length) {
    const markup = skipMarkup(source, i);
    if (markup !== undefined) {
      if (markup.end < 0) return { open, unfinished: { what: markup.what, offset: i } };
      i = source.indexOf('<', markup.end);
      continue;
    }
    const closing = source[i + 1] === '/';
    const name = NAME.exec(source.slice(i + (closing ? 2 : 1)))?.[0] ?? '';
    const end = tagEnd(source, i);
    if (end < 0) return { open, unfinished: { what: `the tag <${closing ? '/' : ''}${name}`, offset: i } };
    if (closing) open.pop();
    else if (source[end - 1] !== '/') open.push({ name, offset: i });
    i = source.indexOf('<', end + 1);
  }
  return { open, unfinished: undefined };
}

const MARKUP = [
  ['<!--', '-->', 'a comment'],
  ['<![CDATA[', ']]>', 'a CDATA section'],
  ['<?', '?>', 'a processing instruction'],
  ['<!', '>', 'a declaration'],
] as const;

/** Comments, CDATA, processing instructions and declarations: the offset after one (-1 when unfinished). */
function skipMarkup(source: string, i: number): { end: number; what: string } | undefined {
  for (const [start, stop, what] of MARKUP) {
    if (source.startsWith(start, i)) {
      const end = source.indexOf(stop, i + start.length);
      return { end: end < 0 ? -1 : end + stop.length, what };
    }
  }
  return undefined;
}

/** The offset of the `>` ending the tag that starts at `i` (quoted attribute values may hold `>`), or -1. */
function tagEnd(source: string, i: number): number {
  let quote: string | undefined;
  for (let j = i + 1; j < source.length; j++) {
    const c = source[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  return -1;
}

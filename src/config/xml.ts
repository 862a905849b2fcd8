/**
 * XML text → a small element tree in which every element knows its file:line:col. fast-xml-parser does the
 * parsing; its `captureMetaData` gives each element's start offset, turned here into 1-based line and column.
 *
 * Entities are decoded here rather than by the parser: the parser leaves unknown entities in the text without a
 * word, and a config value silently holding `&nbsp;` is worse than an error naming it. DOCTYPE declarations are
 * refused, so no entity expansion from a DTD can happen.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Diagnostics } from './diagnostics.js';
import type { SourcePosition } from './types.js';
import { describeXmlError } from './xml-errors.js';

export interface XmlElement {
  readonly name: string;
  /** Attribute values, entity-decoded; `${}` substitution rewrites them in place. */
  readonly attributes: Map<string, string>;
  readonly children: XmlElement[];
  /** Direct text and CDATA of this element joined in document order; `${}` substitution rewrites it. */
  text: string;
  readonly position: SourcePosition;
}

// Typed `Symbol` (the wrapper type) by the library; it is a plain symbol at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

const PARSER_OPTIONS = {
  preserveOrder: true,
  captureMetaData: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

/** Maps string offsets to 1-based line:col. Lines end at \n, \r\n or a lone \r, as editors count them. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  position(file: string, offset: number): SourcePosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, column: offset - (this.starts[lo] as number) + 1 };
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML's predefined and numeric character references; returns the name of the first unknown entity. */
export function decodeEntities(raw: string): { text: string; unknown: string | undefined } {
  let unknown: string | undefined;
  const text = raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code);
      unknown ??= whole;
      return whole;
    }
    const known = PREDEFINED[ref];
    if (known !== undefined) return known;
    unknown ??= whole;
    return whole;
  });
  return { text, unknown };
}

type RawNode = Record<string, unknown>;

function startOf(node: RawNode): number {
  const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
  return meta?.startIndex ?? 0;
}

/**
 * Parses `text`; returns the root element, or undefined after recording why there is none. A file that is not
 * well-formed yields one GW_ERR_CONFIG_XML (the XML cannot be read past its first error).
 */
export function parseXml(text: string, file: string, diags: Diagnostics): XmlElement | undefined {
  // A byte-order mark is not a column an editor shows. Line ends are made LF first, as XML requires of a parser
  // (§2.11): the validator counts only LF as a line, so a file saved with CR alone had its errors placed on line 1.
  const source = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  const lines = new LineIndex(source);
  const at = (offset: number): SourcePosition => lines.position(file, offset);

  if (source.trim() === '') {
    diags.error('GW_ERR_CONFIG_XML', `The configuration file ${file} is empty`, { file });
    return undefined;
  }
  const valid = XMLValidator.validate(source, { allowBooleanAttributes: false });
  if (valid !== true) {
    const problem = describeXmlError(source, valid.err, file, at);
    diags.error('GW_ERR_CONFIG_XML', problem.message, problem.position, problem.hint);
    return undefined;
  }

  let nodes: RawNode[];
  try {
    nodes = new XMLParser(PARSER_OPTIONS).parse(source) as RawNode[];
  } catch (e) {
    diags.error('GW_ERR_CONFIG_XML', `Not well-formed XML: ${e instanceof Error ? e.message : String(e)}`, { file });
    return undefined;
  }

  const roots = nodes.filter((n) => elementName(n) !== undefined);
  const first = roots[0];
  if (first === undefined) {
    diags.error('GW_ERR_CONFIG_XML', `The configuration file ${file} holds no element`, { file });
    return undefined;
  }
  const rootStart = startOf(first);
  const doctype = /<!DOCTYPE/i.exec(source.slice(0, rootStart).replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length)));
  if (doctype) {
    diags.error('GW_ERR_CONFIG_XML', 'A DOCTYPE declaration is not accepted in a gateway configuration', at(doctype.index), 'remove the <!DOCTYPE …> line');
    return undefined;
  }
  for (const extra of roots.slice(1)) {
    diags.error('GW_ERR_CONFIG_XML', `Not well-formed XML: a second root element <${elementName(extra)}> after the first`, at(startOf(extra)));
  }
  return toElement(first, at, diags);
}

function elementName(node: RawNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ':@' && key !== '#text' && key !== '#cdata' && key !== '#comment') return key;
  }
  return undefined;
}

function toElement(node: RawNode, at: (offset: number) => SourcePosition, diags: Diagnostics): XmlElement {
  const name = elementName(node) as string;
  const position = at(startOf(node));
  const decode = (raw: string): string => {
    const { text, unknown } = decodeEntities(raw);
    if (unknown !== undefined) {
      diags.error('GW_ERR_CONFIG_XML', `Unknown entity ${unknown} in <${name}>`, position, 'XML knows &lt; &gt; &amp; &quot; &apos; and &#…; only');
    }
    return text;
  };

  const attributes = new Map<string, string>();
  const rawAttributes = node[':@'];
  if (rawAttributes && typeof rawAttributes === 'object') {
    for (const [key, value] of Object.entries(rawAttributes as Record<string, unknown>)) {
      attributes.set(key, decode(String(value)));
    }
  }

  const children: XmlElement[] = [];
  let text = '';
  const content = node[name];
  for (const child of Array.isArray(content) ? (content as RawNode[]) : []) {
    if ('#text' in child) text += decode(String(child['#text']));
    else if ('#cdata' in child) text += cdataText(child['#cdata']);
    else if (elementName(child) !== undefined) children.push(toElement(child, at, diags));
  }
  return { name, attributes, children, text, position };
}

function cdataText(value: unknown): string {
  if (!Array.isArray(value)) return String(value ?? '');
  return value.map((part) => String((part as Record<string, unknown>)['#text'] ?? '')).join('');
}

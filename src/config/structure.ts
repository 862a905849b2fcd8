/**
 * Generic checks of an element's children against a content model: unknown names (with a near-miss hint), order,
 * repetition, required children, stray text, and attributes. The specific validators build on what this returns.
 */
import type { Diagnostics } from './diagnostics.js';
import { describePosition } from './diagnostics.js';
import { isKaazingName, kaazingNamesIn, kaazingPlacesOf, unsupportedKaazingName } from './kaazing-names.js';
import { WHY_NOT_HERE, didYouMean, optionPlacesOf } from './vocabulary.js';
import type { XmlElement } from './xml.js';

export interface ChildRule {
  readonly name: string;
  /** Children of a lower rank must come before children of a higher one; equal ranks mix freely. */
  readonly rank: number;
  readonly min: number;
  readonly max: number;
}

/** A `<xs:sequence>`: each name's rank is its place in the list. `?` = 0..1, `*` = 0..n, `+` = 1..n, none = 1. */
export function sequence(...names: string[]): ChildRule[] {
  return names.map((spec, rank) => rule(spec, rank));
}

/** An `<xs:all>` / `<xs:choice maxOccurs=unbounded>`: any order. */
export function anyOrder(...names: string[]): ChildRule[] {
  return names.map((spec) => rule(spec, 0));
}

function rule(spec: string, rank: number): ChildRule {
  const m = /^(.*?)([?*+]?)$/.exec(spec) as RegExpExecArray;
  const name = m[1] as string;
  switch (m[2]) {
    case '?':
      return { name, rank, min: 0, max: 1 };
    case '*':
      return { name, rank, min: 0, max: Infinity };
    case '+':
      return { name, rank, min: 1, max: Infinity };
    default:
      return { name, rank, min: 1, max: 1 };
  }
}

export interface CheckOptions {
  /** Other spellings of a rule's name (`tls.ciphers` → `ssl.ciphers`); they count as that name. */
  readonly aliases?: ReadonlyMap<string, string>;
  /** Names the caller handles itself (reported by it), excluded from the unknown-name check. */
  readonly handledElsewhere?: (name: string) => boolean;
}

/** Children grouped by rule name (aliases folded in), in document order. Unknown children are reported and left out. */
export type ChildMap = Map<string, XmlElement[]>;

export function checkChildren(parent: XmlElement, rules: readonly ChildRule[], diags: Diagnostics, options: CheckOptions = {}): ChildMap {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const found: ChildMap = new Map();
  let highest: { rank: number; element: XmlElement } | undefined;

  checkNoText(parent, diags);
  for (const child of parent.children) {
    const canonical = options.aliases?.get(child.name) ?? child.name;
    const r = byName.get(canonical);
    if (r === undefined) {
      if (options.handledElsewhere?.(child.name)) {
        addTo(found, child.name, child);
        continue;
      }
      reportUnrecognised(parent, child, [...byName.keys(), ...(options.aliases?.keys() ?? [])], diags);
      continue;
    }
    if (highest !== undefined && r.rank < highest.rank) {
      diags.error(
        'GW_ERR_CONFIG_ORDER',
        `<${child.name}> is out of order in <${parent.name}>: it must come before <${highest.element.name}> (${describePosition(highest.element.position)})`,
        child.position,
        `expected order: ${orderOf(rules)}`,
      );
    } else {
      highest = { rank: r.rank, element: child };
    }
    const seen = found.get(r.name) ?? [];
    if (seen.length >= r.max) {
      const first = seen[0] as XmlElement;
      const what = first.name === child.name ? `<${child.name}> may appear only once` : `<${child.name}> repeats <${first.name}>, its alias,`;
      diags.error('GW_ERR_CONFIG_DUPLICATE', `${what} in <${parent.name}> (first at ${describePosition(first.position)})`, child.position);
    }
    addTo(found, r.name, child);
  }
  for (const r of rules) {
    if (r.min > 0 && (found.get(r.name)?.length ?? 0) === 0) {
      diags.error('GW_ERR_CONFIG_MISSING', `Missing required element: <${r.name}> in <${parent.name}>`, parent.position);
    }
  }
  return found;
}

/**
 * A child the content model does not take: a Kaazing name this gateway does not serve, or a name Kaazing never had
 * there (a typo, or a name that belongs in another element).
 */
export function reportUnrecognised(parent: XmlElement, child: XmlElement, allowed: readonly string[], diags: Diagnostics): void {
  if (isKaazingName(parent.name, child.name)) {
    const { message, hint } = unsupportedKaazingName(parent.name, child.name);
    diags.error('GW_ERR_CONFIG_UNSUPPORTED', message, child.position, hint);
    return;
  }
  const places = [...new Set([...kaazingPlacesOf(child.name, parent.name), ...optionPlacesOf(child.name, parent.name)])];
  const why = WHY_NOT_HERE[`${parent.name}/${child.name}`];
  const elsewhere = places.length > 0 ? `<${child.name}> belongs in ${places.map((p) => `<${p}>`).join(' or ')}${why !== undefined ? `: ${why}` : ''}` : undefined;
  const hint = didYouMean(child.name, [...allowed, ...kaazingNamesIn(parent.name)]) ?? elsewhere;
  diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `Unknown element <${child.name}> in <${parent.name}>`, child.position, hint);
}

function addTo(map: ChildMap, name: string, element: XmlElement): void {
  const list = map.get(name);
  if (list) list.push(element);
  else map.set(name, [element]);
}

function orderOf(rules: readonly ChildRule[]): string {
  const groups: string[][] = [];
  for (const r of rules) (groups[r.rank] ??= []).push(r.name);
  return groups.filter((g) => g.length > 0).map((g) => (g.length === 1 ? g[0] : `(${g.join(' | ')})`)).join(', ');
}

/** Text between child elements means a mistyped file (a value put in a container): report it once. */
export function checkNoText(element: XmlElement, diags: Diagnostics): void {
  const stray = element.text.trim();
  if (stray !== '') {
    const shown = stray.length > 40 ? stray.slice(0, 40) + '…' : stray;
    diags.error('GW_ERR_CONFIG_VALUE', `<${element.name}> holds elements, not text, but contains "${shown}"`, element.position);
  }
}

/** The trimmed text of a leaf element; child elements inside a leaf are reported. */
export function leafText(element: XmlElement, diags: Diagnostics): string {
  for (const child of element.children) {
    diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `Unknown element <${child.name}> in <${element.name}>: <${element.name}> holds a text value`, child.position);
  }
  return element.text.trim();
}

/** The first child of that name, if any. */
export function first(children: ChildMap, name: string): XmlElement | undefined {
  return children.get(name)?.[0];
}

/** Only the root may carry attributes (`xmlns`, `xmlns:*`, `xsi:*`); the schema defines none elsewhere. */
export function checkAttributes(element: XmlElement, isRoot: boolean, diags: Diagnostics): void {
  for (const name of element.attributes.keys()) {
    if (isRoot && (name === 'xmlns' || name.startsWith('xmlns:') || name.startsWith('xsi:'))) continue;
    diags.error('GW_ERR_CONFIG_ATTRIBUTE', `Attribute ${name}="…" is not allowed on <${element.name}>: the gateway configuration uses elements only`, element.position);
  }
  for (const child of element.children) checkAttributes(child, false, diags);
}

/**
 * `${name}` substitution. Resolution order (KAAZING.md): `-D` defines, then the document's `<properties>`, then
 * the built-in `${hostname}`. `$${x}` is the literal text `${x}`. Property values may themselves reference other
 * properties; define values are taken literally (they come from a shell, already expanded).
 */
import { hostname } from 'node:os';
import type { Diagnostics } from './diagnostics.js';
import { describePosition } from './diagnostics.js';
import { nearestName } from './vocabulary.js';
import type { XmlElement } from './xml.js';
import type { LoadConfigOptions, SourcePosition } from './types.js';

/** Kaazing's built-in properties on AWS: known names, not served. */
const KAAZING_CLOUD_PROPERTIES: readonly string[] = ['cloud.host', 'cloud.instanceId'];

interface Definition {
  readonly raw: string;
  readonly position: SourcePosition;
}

/** `$` optionally doubled, `{`, a name, `}`; or an opening `${` that is never closed. */
const REFERENCE = /\$(\$)?\{([^}]*)\}|\$\{[^}]*$/g;
/**
 * The longest text a substitution may make. Values are names, ports and paths; without a bound, properties that
 * each refer to the one before twice double with every step, and a file of a few lines would exhaust memory.
 */
const MAX_EXPANDED_CHARS = 64 * 1024;

export class PropertyTable {
  private readonly resolved = new Map<string, string>();
  private readonly resolving = new Set<string>();
  /** Definitions already reported as unresolvable, so each is reported once however often it is used. */
  private readonly failed = new Set<string>();
  /** Every name a `${…}` refers to, in the document or in a property's value. */
  readonly referenced = new Set<string>();

  constructor(
    private readonly defines: Readonly<Record<string, string>>,
    private readonly definitions: ReadonlyMap<string, Definition>,
    private readonly hostname: string,
    private readonly diags: Diagnostics,
  ) {}

  /** The value of `name`, or undefined when nothing defines it (unresolvable values also give undefined). */
  lookup(name: string): string | undefined {
    if (Object.prototype.hasOwnProperty.call(this.defines, name)) return this.defines[name];
    const definition = this.definitions.get(name);
    if (definition === undefined) return name === 'hostname' ? this.hostname : undefined;
    const cached = this.resolved.get(name);
    if (cached !== undefined || this.failed.has(name)) return cached;
    if (this.resolving.has(name)) {
      this.diags.error('GW_ERR_CONFIG_PROPERTY', `Property "${name}" refers to itself through \${${name}}`, definition.position, `the chain is ${[...this.resolving, name].join(' → ')}`);
      this.failed.add(name);
      return undefined;
    }
    this.resolving.add(name);
    const value = this.substitute(definition.raw, definition.position);
    this.resolving.delete(name);
    if (value !== undefined) this.resolved.set(name, value);
    else this.failed.add(name);
    return value;
  }

  /** `text` with every reference replaced; undefined (after recording why) when a reference cannot be resolved. */
  substitute(text: string, position: SourcePosition): string | undefined {
    if (!text.includes('${')) return text;
    let failed = false;
    let expanded = text.length;
    let tooLong = false;
    const out = text.replace(REFERENCE, (whole, escaped: string | undefined, name: string | undefined) => {
      if (tooLong) return whole;
      if (name === undefined) {
        this.diags.error('GW_ERR_CONFIG_PROPERTY', `Unterminated property reference "${whole}"`, position, 'close it with }');
        failed = true;
        return whole;
      }
      if (escaped !== undefined) return `\${${name}}`;
      const key = name.trim();
      if (key === '') {
        this.diags.error('GW_ERR_CONFIG_PROPERTY', 'Empty property reference ${}', position);
        failed = true;
        return whole;
      }
      this.referenced.add(key);
      const value = this.lookup(key);
      if (value === undefined) {
        if (KAAZING_CLOUD_PROPERTIES.includes(key)) {
          // Kaazing read these from the AWS instance metadata service; this gateway does not query it.
          this.diags.error('GW_ERR_CONFIG_UNSUPPORTED', `\${${key}} is a Kaazing built-in property (from AWS instance metadata) this gateway does not support`, position, `pass it with -D ${key}=VALUE`);
        } else if (!this.definitions.has(key)) {
          this.diags.error('GW_ERR_CONFIG_PROPERTY', `Unresolved property \${${key}}: no -D define, <property> or built-in has that name`, position, didYouMeanProperty(key, this));
        }
        failed = true;
        return whole;
      }
      expanded += value.length - whole.length;
      if (expanded > MAX_EXPANDED_CHARS) {
        this.diags.error('GW_ERR_CONFIG_PROPERTY', `Substituting \${${key}} makes a value longer than ${MAX_EXPANDED_CHARS / 1024} KiB`, position, 'a property that refers to others several times grows with each step; define the value directly');
        failed = tooLong = true;
        return whole;
      }
      return value;
    });
    return failed ? undefined : out;
  }

  names(): string[] {
    return [...new Set([...Object.keys(this.defines), ...this.definitions.keys(), 'hostname'])];
  }
}

function didYouMeanProperty(name: string, table: PropertyTable): string | undefined {
  const lower = name.toLowerCase();
  const names = table.names();
  const sameLetters = names.find((n) => n.toLowerCase() === lower);
  if (sameLetters !== undefined) return `property names are case-sensitive: did you mean \${${sameLetters}}?`;
  const near = nearestName(name, names);
  return near === undefined ? undefined : `did you mean \${${near}}?`;
}

/**
 * Reads `<properties>` (a direct child of the root) into definitions. Structure problems inside it are reported
 * here because substitution needs the table before the rest of the document is validated.
 */
export function collectDefinitions(root: XmlElement, diags: Diagnostics): Map<string, Definition> {
  const definitions = new Map<string, Definition>();
  for (const block of root.children.filter((c) => c.name === 'properties')) {
    for (const property of block.children) {
      if (property.name !== 'property') continue; // reported by the document validator
      const name = property.children.find((c) => c.name === 'name');
      const value = property.children.find((c) => c.name === 'value');
      if (name === undefined || value === undefined) continue; // reported by the document validator
      const key = name.text.trim();
      if (key === '') continue;
      const previous = definitions.get(key);
      if (previous !== undefined) {
        diags.error('GW_ERR_CONFIG_DUPLICATE', `Property "${key}" is defined twice (first at ${describePosition(previous.position)})`, name.position);
        continue;
      }
      definitions.set(key, { raw: value.text.trim(), position: value.position });
    }
  }
  return definitions;
}

/** Substitutes every element's text and attribute values in place, except property names and values (read above). */
export function substituteTree(root: XmlElement, options: LoadConfigOptions, diags: Diagnostics): void {
  const table = new PropertyTable(options.defines ?? {}, collectDefinitions(root, diags), options.hostname ?? hostname(), diags);
  const visit = (element: XmlElement, inPropertyDefinitions: boolean): void => {
    for (const [key, value] of element.attributes) {
      const replaced = table.substitute(value, element.position);
      if (replaced !== undefined) element.attributes.set(key, replaced);
    }
    if (!inPropertyDefinitions) {
      const replaced = table.substitute(element.text, element.position);
      if (replaced !== undefined) element.text = replaced;
    }
    for (const child of element.children) visit(child, inPropertyDefinitions || (element === root && child.name === 'properties'));
  };
  visit(root, false);
  // Every definition is resolved even when nothing references it, so a broken one is reported.
  for (const name of table.names()) table.lookup(name);
  warnUnusedDefines(options.defines ?? {}, table, diags);
}

/**
 * A `-D` that no `${…}` uses changes nothing: most often its name is misspelt, and the file's own value (a port, a
 * backend's address) is served instead, without a word.
 */
function warnUnusedDefines(defines: Readonly<Record<string, string>>, table: PropertyTable, diags: Diagnostics): void {
  const known = [...table.referenced];
  for (const name of Object.keys(defines)) {
    if (table.referenced.has(name)) continue;
    const near = nearestName(name, known);
    diags.warning(
      `-D ${name} is not used: the configuration refers to no \${${name}}`,
      undefined,
      near !== undefined ? `did you mean -D ${near}?` : known.length > 0 ? `the properties it refers to: ${known.sort().join(', ')}` : 'the configuration refers to no property',
    );
  }
}

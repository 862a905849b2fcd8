#!/usr/bin/env node
// Writes src/config/kaazing-schema.ts: for every element of Kaazing's gateway-config schemas (2014/09, 2015/11,
// 2016/06, and the management service types), the names of the child elements Kaazing allows in it. The config
// reader uses it to tell a Kaazing name this gateway does not serve ("not supported") from a name Kaazing never
// had ("unknown", with a did-you-mean).
// Run: node scripts/gen-kaazing-schema.mjs KAAZING_GATEWAY_CHECKOUT
//   where the checkout is a clone of https://github.com/kaazing/gateway (a work tree or a bare git directory).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

const XSDS = [
  'server/src/main/xsd/gateway-config-201409.xsd',
  'server/src/main/xsd/gateway-config-201511.xsd',
  'server/src/main/xsd/gateway-config-201606.xsd',
  'management/src/main/xsd/management.xsd',
];

const checkout = process.argv[2];
if (checkout === undefined) {
  process.stderr.write('usage: node scripts/gen-kaazing-schema.mjs KAAZING_GATEWAY_CHECKOUT\n');
  process.exit(2);
}

function read(path) {
  const file = join(checkout, path);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  return execFileSync('git', ['--git-dir', checkout, 'show', `HEAD:${path}`], { encoding: 'utf8' });
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, isArray: (_name, _path, _leaf, isAttribute) => !isAttribute });
const local = (qname) => (qname ?? '').replace(/^.*:/, '');

/** parent element name → child element names; '*' when the schema allows any element (xs:any). */
const children = new Map();
const add = (parent, child) => {
  if (!children.has(parent)) children.set(parent, new Set());
  children.get(parent).add(child);
};

for (const path of XSDS) {
  const schema = parser.parse(read(path)).schema[0];
  const types = new Map((schema.complexType ?? []).map((t) => [t['@name'], t]));
  const groups = new Map((schema.group ?? []).map((g) => [g['@name'], g]));
  // Types restricting or extending a type stand in for it (xsi:type): a <service> may be any service type.
  const derived = new Map();
  for (const [name, t] of types) {
    for (const content of t.complexContent ?? []) {
      for (const d of [...(content.restriction ?? []), ...(content.extension ?? [])]) {
        const base = local(d['@base']);
        if (!derived.has(base)) derived.set(base, []);
        derived.get(base).push(name);
      }
    }
  }

  const visited = new Set();
  /** Every element declared inside `node` (sequence, choice, all, group refs, derivations), for `parent`. */
  function collect(parent, node) {
    for (const key of ['sequence', 'choice', 'all']) for (const n of node[key] ?? []) collect(parent, n);
    for (const g of node.group ?? []) if (g['@ref']) collect(parent, groups.get(local(g['@ref'])));
    for (const content of [...(node.complexContent ?? [])]) {
      for (const d of [...(content.restriction ?? []), ...(content.extension ?? [])]) {
        if (d['@base'] && content.extension) typeInto(parent, local(d['@base']));
        collect(parent, d);
      }
    }
    if ((node.any ?? []).length > 0) add(parent, '*');
    for (const e of node.element ?? []) declare(parent, e);
  }
  function typeInto(parent, typeName) {
    const key = `${parent}|${typeName}`;
    if (visited.has(key)) return;
    visited.add(key);
    const t = types.get(typeName);
    if (t !== undefined) collect(parent, t);
    for (const d of derived.get(typeName) ?? []) typeInto(parent, d);
  }
  function declare(parent, e) {
    const name = e['@name'];
    if (name === undefined) return;
    if (parent !== undefined) add(parent, name);
    for (const inline of e.complexType ?? []) collect(name, inline);
    if (e['@type']) typeInto(name, local(e['@type']));
  }
  for (const e of schema.element ?? []) declare(undefined, e);
  // Types only reachable by derivation (the management service types) still describe a <service>.
  for (const [name, t] of types) {
    if ((t.complexContent ?? []).some((c) => (c.restriction ?? c.extension ?? []).some((d) => local(d['@base']) === 'ServiceType'))) typeInto('service', name);
  }
}

// A service's <properties> is xs:any only in the abstract base type; every concrete service type names its own
// properties, so a name outside all of them is a typo, not a Kaazing property.
children.get('properties').delete('*');

const sorted = [...children.keys()].sort();
const body = sorted
  .map((parent) => `  '${parent}': [${[...children.get(parent)].sort().map((c) => `'${c}'`).join(', ')}],`)
  .join('\n');

const fileNames = XSDS.map((p) => p.split('/').pop()).join(', ');
const out = `/**
 * The child elements Kaazing's gateway-config schemas allow in each element, by the element's name (a union over
 * the places an element of that name appears). '*' means any element (Kaazing's xs:any, e.g. login-module options).
 * Generated by scripts/gen-kaazing-schema.mjs from kaazing/gateway's ${fileNames}.
 * Which of these names this gateway serves is decided by the config readers; see kaazing-names.ts.
 */
export const KAAZING_CHILDREN: Readonly<Record<string, readonly string[]>> = Object.freeze({
${body}
});
`;
writeFileSync(fileURLToPath(new URL('../src/config/kaazing-schema.ts', import.meta.url)), out);
process.stdout.write(`wrote src/config/kaazing-schema.ts: ${sorted.length} elements\n`);

/**
 * The root `<gateway-config>` after substitution: its children, `<properties>`, `<service-defaults>`, and the
 * document-wide checks (unique service names, unused realms, cluster).
 */
import { describePosition, type Diagnostics } from './diagnostics.js';
import { readAcceptOptions, readConnectOptions } from './options.js';
import { checkRules } from './rules.js';
import { readSecurity } from './security.js';
import { readMimeMapping, readService, type ServiceDefaults, type ServiceDraft } from './service.js';
import { anyOrder, checkChildren, first, leafText, sequence, type ChildRule } from './structure.js';
import type { SecurityConfig, SourcePosition } from './types.js';
import type { XmlElement } from './xml.js';

const ROOT_CONTENT: ChildRule[] = [
  { name: 'properties', rank: 0, min: 0, max: 1 },
  ...anyOrder('service*', 'service-defaults?', 'security?', 'cluster?').map((r) => ({ ...r, rank: 1 })),
];

export interface DocumentResult {
  readonly services: readonly ServiceDraft[];
  readonly security: SecurityConfig;
  /** The services read without an error of their own (all of `services` when the file has no error). */
  readonly clean: readonly ServiceDraft[];
  /** Names (or positions) of the services with errors of their own. */
  readonly incomplete: readonly string[];
}

export function readDocument(root: XmlElement, configDir: string, diags: Diagnostics): DocumentResult {
  const children = checkChildren(root, ROOT_CONTENT, diags);
  const properties = first(children, 'properties');
  if (properties !== undefined) checkPropertiesShape(properties, diags);

  const defaults = readServiceDefaults(first(children, 'service-defaults'), configDir, diags);
  const { security, declared, realms } = readSecurity(first(children, 'security'), configDir, diags);

  const drafts: ServiceDraft[] = [];
  const clean: ServiceDraft[] = [];
  const incomplete: string[] = [];
  const names = new Map<string, SourcePosition>();
  const namedRealms = new Set<string>();
  for (const element of children.get('service') ?? []) {
    const errorsBefore = diags.errorCount;
    const { draft, name, realmNames } = readService(element, defaults, configDir, diags);
    for (const realm of realmNames) namedRealms.add(realm);
    const label = name !== undefined ? `"${name.value}"` : `at ${describePosition(element.position)}`;
    if (name !== undefined) {
      const before = names.get(name.value);
      if (before !== undefined) {
        diags.error('GW_ERR_CONFIG_DUPLICATE', `Service name "${name.value}" is already used (${describePosition(before)})`, name.position, 'service names must be unique');
        incomplete.push(label);
        continue;
      }
      names.set(name.value, name.position);
    }
    if (draft !== undefined) drafts.push(draft);
    if (draft !== undefined && diags.errorCount === errorsBefore) clean.push(draft);
    else incomplete.push(label);
  }
  if ((children.get('service') ?? []).length === 0) diags.warning('The configuration defines no <service>: the gateway will serve nothing', root.position);

  for (const realm of realms) {
    if (!namedRealms.has(realm.name)) diags.warning(`Realm "${realm.name}" is not used by any service and is ignored`, realm.position);
  }
  const cluster = first(children, 'cluster');
  if (cluster !== undefined) diags.warning('<cluster> is ignored: this gateway runs as a single member', cluster.position);

  checkRules(drafts, declared, diags);
  return { services: drafts, security, clean, incomplete };
}

function readServiceDefaults(element: XmlElement | undefined, configDir: string, diags: Diagnostics): ServiceDefaults {
  if (element === undefined) return { accept: { binds: {} }, connect: {}, mimeMappings: [] };
  const children = checkChildren(element, sequence('accept-options?', 'connect-options?', 'mime-mapping*'), diags);
  return {
    mimeMappings: (children.get('mime-mapping') ?? []).flatMap((e) => readMimeMapping(e, diags) ?? []),
    accept: readAcceptOptions(first(children, 'accept-options'), true, configDir, diags),
    connect: readConnectOptions(first(children, 'connect-options'), true, diags),
  };
}

/** Definitions were read for substitution already; here their shape is checked and reported. */
function checkPropertiesShape(properties: XmlElement, diags: Diagnostics): void {
  const children = checkChildren(properties, sequence('property*'), diags);
  for (const property of children.get('property') ?? []) {
    const parts = checkChildren(property, sequence('name', 'value'), diags);
    const name = first(parts, 'name');
    if (name !== undefined && leafText(name, diags) === '') diags.error('GW_ERR_CONFIG_MISSING', 'The property <name> is empty', name.position);
    const value = first(parts, 'value');
    if (value !== undefined) leafText(value, diags);
  }
}

/**
 * `<security>`: the keystore and truststore (paths resolved against the config file's directory) and the realms
 * (realm.ts). Which realms are used is known only once the services are read (document.ts).
 */
import { resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { parseStoreType, STORE_TYPE_NAMES } from '../keystore/detect.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { describePosition } from './diagnostics.js';
import { readRealm } from './realm.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { RealmConfig, StoreConfig, StoreType } from './types.js';
import type { XmlElement } from './xml.js';

export interface SecurityResult {
  readonly security: { readonly keystore: StoreConfig | undefined; readonly truststore: StoreConfig | undefined };
  /** Whether each store element is present, even if it was invalid (its problems are already reported). */
  readonly declared: { readonly keystore: boolean; readonly truststore: boolean };
  /** Every realm read without a problem, and the names of all realms (valid or not), so a service naming one is not told it does not exist. */
  readonly realms: readonly RealmConfig[];
  readonly realmNames: ReadonlySet<string>;
}

export function readSecurity(element: XmlElement | undefined, configDir: string, diags: Diagnostics): SecurityResult {
  if (element === undefined) {
    return { security: { keystore: undefined, truststore: undefined }, declared: { keystore: false, truststore: false }, realms: [], realmNames: new Set() };
  }
  const children = checkChildren(element, sequence('keystore?', 'truststore?', 'realm*'), diags);
  const store = (name: string): StoreConfig | undefined => {
    const e = first(children, name);
    return e === undefined ? undefined : readStore(e, configDir, diags);
  };
  const realms: RealmConfig[] = [];
  const realmNames = new Map<string, XmlElement>();
  for (const element of children.get('realm') ?? []) {
    const nameElement = element.children.find((c) => c.name === 'name');
    const name = nameElement?.text.trim();
    const before = name === undefined ? undefined : realmNames.get(name);
    if (name !== undefined && before !== undefined) {
      diags.error('GW_ERR_CONFIG_DUPLICATE', `Realm name "${name}" is already used (${describePosition(before.position)})`, element.position, 'realm names must be unique');
      continue;
    }
    if (name !== undefined) realmNames.set(name, element);
    const realm = readRealm(element, configDir, diags);
    if (realm !== undefined) realms.push(realm);
  }
  return {
    security: { keystore: store('keystore'), truststore: store('truststore') },
    declared: { keystore: children.has('keystore'), truststore: children.has('truststore') },
    realms,
    realmNames: new Set(realmNames.keys()),
  };
}

function storeType(text: string, store: string): StoreType {
  const type = parseStoreType(text);
  if (type === undefined) throw new GatewayError('GW_ERR_CONFIG_VALUE', `Invalid <${store}> type "${text.trim()}": allowed values are ${STORE_TYPE_NAMES}`);
  return type;
}

function readStore(element: XmlElement, configDir: string, diags: Diagnostics): StoreConfig | undefined {
  const children = checkChildren(element, sequence('type?', 'file', 'password-file?'), diags);
  const typeElement = first(children, 'type');
  let type: StoreType | undefined;
  let failed = false;
  if (typeElement !== undefined) {
    type = attempt(diags, typeElement.position, () => storeType(leafText(typeElement, diags), element.name));
    failed = type === undefined;
  }
  const path = (name: string): string | undefined => {
    const e = first(children, name);
    if (e === undefined) return undefined;
    const text = leafText(e, diags);
    if (text === '') {
      diags.error('GW_ERR_CONFIG_MISSING', `<${name}> in <${element.name}> is empty: it must name a file`, e.position);
      failed = true;
      return undefined;
    }
    return resolve(configDir, text);
  };
  const file = path('file');
  const passwordFile = path('password-file');
  if (file === undefined || failed) return undefined;
  return { type, file, passwordFile, position: element.position };
}

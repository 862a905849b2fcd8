/**
 * `<security>`: the keystore and truststore (paths resolved against the config file's directory) and realms.
 * Realms are never served (no login modules here): services naming one are refused where they name it, and a
 * realm nobody names is only a warning.
 */
import { resolve } from 'node:path';
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseEnum } from './grammar.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { SecurityConfig, SourcePosition, StoreConfig, StoreType } from './types.js';
import type { XmlElement } from './xml.js';

const STORE_TYPES: readonly StoreType[] = ['JKS', 'JCEKS', 'PKCS12', 'PEM'];

export interface Realm {
  readonly name: string;
  readonly position: SourcePosition;
}

export interface SecurityResult {
  readonly security: SecurityConfig;
  /** Whether each store element is present, even if it was invalid (its problems are already reported). */
  readonly declared: { readonly keystore: boolean; readonly truststore: boolean };
  readonly realms: readonly Realm[];
}

export function readSecurity(element: XmlElement | undefined, configDir: string, diags: Diagnostics): SecurityResult {
  if (element === undefined) {
    return { security: { keystore: undefined, truststore: undefined }, declared: { keystore: false, truststore: false }, realms: [] };
  }
  const children = checkChildren(element, sequence('keystore?', 'truststore?', 'realm*'), diags);
  const store = (name: string): StoreConfig | undefined => {
    const e = first(children, name);
    return e === undefined ? undefined : readStore(e, configDir, diags);
  };
  const realms: Realm[] = [];
  for (const realm of children.get('realm') ?? []) {
    // A realm's content (authentication, login modules) is Kaazing's; only its name matters here.
    const name = realm.children.find((c) => c.name === 'name');
    if (name === undefined) diags.error('GW_ERR_CONFIG_MISSING', 'Missing required element: <name> in <realm>', realm.position);
    else realms.push({ name: name.text.trim(), position: realm.position });
  }
  return {
    security: { keystore: store('keystore'), truststore: store('truststore') },
    declared: { keystore: children.has('keystore'), truststore: children.has('truststore') },
    realms,
  };
}

function readStore(element: XmlElement, configDir: string, diags: Diagnostics): StoreConfig | undefined {
  const children = checkChildren(element, sequence('type?', 'file', 'password-file?'), diags);
  const typeElement = first(children, 'type');
  let type: StoreType | undefined;
  let failed = false;
  if (typeElement !== undefined) {
    type = attempt(diags, typeElement.position, () => parseEnum(leafText(typeElement, diags), STORE_TYPES, `<${element.name}> type`));
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

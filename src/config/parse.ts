/**
 * The pipeline (one stage per module): XML → element tree with positions → namespace → `${}` substitution →
 * vocabulary, order and value grammars with defaults → cross-service rules → deep-freeze.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileErrorReason } from '../errors.js';
import { Diagnostics } from './diagnostics.js';
import { decodeConfigText } from './encoding.js';
import { readDocument } from './document.js';
import { deepFreeze } from './freeze.js';
import { substituteTree } from './properties.js';
import { checkAttributes } from './structure.js';
import type { GatewayConfig, LoadConfigOptions, LoadConfigResult, PartialConfig } from './types.js';
import { NAMESPACES } from './vocabulary.js';
import { parseXml, type XmlElement } from './xml.js';
import { listenersOf } from './listeners.js';

/** Reads `file` and parses it. Never throws: an unreadable file is a GW_ERR_FILE_READ diagnostic. */
export function loadConfig(file: string, options: LoadConfigOptions = {}): LoadConfigResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return fail([{ severity: 'error', code: 'GW_ERR_FILE_READ', message: `cannot read the configuration file "${file}": ${fileErrorReason(e)}`, position: undefined, hint: undefined }]);
  }
  return loadConfigBytes(file, bytes, options);
}

/**
 * Parses a configuration file's bytes, read before: `file` is where they were read from, which diagnostics name and
 * the stores it names are found from. Never throws.
 */
export function loadConfigBytes(file: string, bytes: Buffer, options: LoadConfigOptions = {}): LoadConfigResult {
  const decoded = decodeConfigText(bytes);
  if (!decoded.ok) return fail([{ severity: 'error', code: 'GW_ERR_CONFIG_XML', message: decoded.message, position: { file }, hint: decoded.hint }]);
  return parseConfig(decoded.text, file, options);
}

/**
 * Parses configuration text. `file` is used as written in every diagnostic position, and resolved (against the
 * working directory) to locate the stores it names. Never throws: every problem is a diagnostic.
 */
export function parseConfig(text: string, file: string, options: LoadConfigOptions = {}): LoadConfigResult {
  const diags = new Diagnostics();
  let built: Built | undefined;
  try {
    built = build(text, file, options, diags);
  } catch (e) {
    // A bug in this module must not take the caller down; it is reported like any other problem, with its stack.
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    diags.error('GW_ERR_INTERNAL', `Reading the configuration failed unexpectedly: ${detail}`, { file });
  }
  if (built === undefined) return fail(diags.all);
  if (diags.hasErrors) {
    // Only the problems of the file itself are known here; what the stores and certificates say is the caller's
    // to add, from the parts that were read without error.
    const config = { ...built.config, warnings: [...diags.warnings] };
    return fail(diags.all, { config, incomplete: built.incomplete });
  }
  return deepFreeze({ ok: true, config: built.config, diagnostics: [...diags.all] });
}

function fail(diagnostics: LoadConfigResult['diagnostics'], partial?: PartialConfig): LoadConfigResult {
  return deepFreeze({ ok: false, diagnostics: [...diagnostics], partial });
}

interface Built {
  readonly config: GatewayConfig;
  readonly incomplete: readonly string[];
}

function build(text: string, file: string, options: LoadConfigOptions, diags: Diagnostics): Built | undefined {
  const root = parseXml(text, file, diags);
  if (root === undefined) return undefined;
  const namespace = checkRoot(root, diags);
  if (namespace === undefined) return undefined;
  checkAttributes(root, true, diags);
  substituteTree(root, options, diags);

  const absolute = resolve(file);
  const { services, security, clean, incomplete } = readDocument(root, dirname(absolute), diags);
  // With errors, only the services without one of their own are passed on (for their stores and certificates).
  const configs = (diags.hasErrors ? clean : services).map((s) => s.config);
  const config: GatewayConfig = { file: absolute, namespace, services: configs, listeners: listenersOf(configs), security, warnings: [...diags.warnings] };
  return { config, incomplete };
}

/** The root and its namespace; on a foreign root or namespace nothing else in the file can be interpreted. */
function checkRoot(root: XmlElement, diags: Diagnostics): string | undefined {
  if (root.name !== 'gateway-config') {
    diags.error('GW_ERR_CONFIG_UNKNOWN_ELEMENT', `The root element must be <gateway-config>, not <${root.name}>`, root.position);
    return undefined;
  }
  const namespace = root.attributes.get('xmlns')?.trim();
  if (namespace === undefined || namespace === '') {
    diags.error('GW_ERR_CONFIG_NAMESPACE', 'The <gateway-config> element has no namespace', root.position, `add xmlns="${NAMESPACES.current}"`);
    return undefined;
  }
  if (!(NAMESPACES.accepted as readonly string[]).includes(namespace)) {
    diags.error('GW_ERR_CONFIG_NAMESPACE', `Unrecognized gateway configuration namespace ${namespace}`, root.position, `this gateway reads ${NAMESPACES.accepted.join(', ')}`);
    return undefined;
  }
  return namespace;
}

/**
 * The configuration `connect` runs: the gateway-config.xml a user would have written for the same bridge (one
 * proxy service from a local tcp:// accept to the target, and the stores in <security>), so that it is read,
 * checked and run by exactly the code that runs a file. Each line remembers the flag it came from, so a problem
 * found in it is reported against that flag rather than a line of a file the user never saw.
 */
import { NAMESPACES } from '../config/vocabulary.js';
import { GatewayError } from '../errors.js';
import type { ConnectSettings, StoreSettings } from './connect-args.js';

/** The name diagnostics carry as their file; connect-diagnostics.ts turns their lines back into flags. */
export const CONNECT_SOURCE = '<connect command line>';
/** The service's name, in every connection log line. */
export const CONNECT_SERVICE = 'connect';

/**
 * A `$` in a value could start a property reference (`${x}`) or its escape (`$${x}`), however it is written. So
 * each `$` is written as a reference to this property, whose value is `$`; substitution is a single pass, so what
 * it puts in is never read again. The document defines it (only when a value has a `$`), so that it stays a file
 * `start` would run as it is.
 */
const DOLLAR = 'connect.dollar';

export interface ConnectConfig {
  readonly text: string;
  /** The flag (with its value as written) that line `line` (1-based) of `text` comes from. */
  flagAt(line: number): string | undefined;
  /** The first line that comes from `flag` (`--keystore`), if any. */
  lineOf(flag: string): number | undefined;
  /** Each file flag given: its label (`--keystore device.p12`) and the absolute path messages name it by. */
  readonly files: readonly { readonly flag: string; readonly label: string; readonly path: string }[];
}

/** XML text content for any string the flags can hold; a character XML 1.0 cannot carry is refused by flag. */
export function xmlValue(flag: string, value: string): string {
  if (/[\u0000-\u001f\u007f\ufffe\uffff]/.test(value)) throw new GatewayError('GW_ERR_USAGE', `${flag} must not contain control characters`);
  // The configuration trims element text; a value it would change is refused rather than silently altered.
  if (value !== value.trim()) throw new GatewayError('GW_ERR_USAGE', `${flag} must not begin or end with white space`);
  return value
    .replaceAll('$', `\${${DOLLAR}}`)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

class Lines {
  readonly #lines: string[] = [];
  readonly #flags: (string | undefined)[] = [];
  readonly files: { flag: string; label: string; path: string }[] = [];

  add(text: string, flag?: string): void {
    this.#lines.push(text);
    this.#flags.push(flag);
  }

  /** `<name>value</name>` on a line of its own, from `flag`. */
  leaf(indent: string, name: string, flag: string, label: string, value: string): void {
    this.add(`${indent}<${name}>${xmlValue(flag, value)}</${name}>`, label);
  }

  get text(): string {
    return this.#lines.join('\n') + '\n';
  }

  flagAt(line: number): string | undefined {
    return this.#flags[line - 1];
  }

  lineOf(flag: string): number | undefined {
    const index = this.#flags.findIndex((f) => f !== undefined && f.startsWith(flag + ' '));
    return index < 0 ? undefined : index + 1;
  }
}

function addStore(lines: Lines, element: 'keystore' | 'truststore', store: StoreSettings): void {
  const flag = `--${element}`;
  const label = `${flag} ${store.file.written}`;
  const passwordFlag = element === 'keystore' ? '--password-file' : '--truststore-password-file';
  lines.add(`    <${element}>`, label);
  if (store.type !== undefined) lines.leaf('      ', 'type', `${flag}-type`, `${flag}-type ${store.type}`, store.type);
  lines.leaf('      ', 'file', flag, label, store.file.path);
  lines.files.push({ flag, label, path: store.file.path });
  if (store.passwordFile !== undefined) {
    const passwordLabel = `${passwordFlag} ${store.passwordFile.written}`;
    lines.leaf('      ', 'password-file', passwordFlag, passwordLabel, store.passwordFile.path);
    lines.files.push({ flag: passwordFlag, label: passwordLabel, path: store.passwordFile.path });
  }
  lines.add(`    </${element}>`, label);
}

export function connectConfig(settings: ConnectSettings): ConnectConfig {
  const lines = new Lines();
  const listen = `--listen ${settings.listen.host}:${settings.listen.port}`;
  const to = `--to ${settings.to}`;
  lines.add('<?xml version="1.0" encoding="UTF-8"?>');
  lines.add(`<gateway-config xmlns="${NAMESPACES.current}">`);
  const values = [settings.to, settings.alias, settings.inactivityTimeout, settings.maximumPendingBytes, settings.closeTimeout, settings.idleTimeout, settings.keystore, settings.truststore].flatMap((v) =>
    typeof v === 'object' ? [v.file.path, v.passwordFile?.path] : [v],
  );
  if (values.some((v) => v?.includes('$'))) {
    lines.add(`  <properties><property><name>${DOLLAR}</name><value>$</value></property></properties>`);
  }
  lines.add('  <service>', to);
  lines.add(`    <name>${CONNECT_SERVICE}</name>`, to);
  lines.leaf('    ', 'accept', '--listen', listen, settings.accept);
  lines.leaf('    ', 'connect', '--to', to, settings.to);
  lines.add('    <type>proxy</type>', to);
  const properties: [string, string, string][] = [];
  if (settings.maximumPendingBytes !== undefined) properties.push(['maximum.pending.bytes', '--maximum-pending-bytes', settings.maximumPendingBytes]);
  if (settings.closeTimeout !== undefined) properties.push(['close.timeout', '--close-timeout', settings.closeTimeout]);
  if (settings.idleTimeout !== undefined) properties.push(['idle.timeout', '--idle-timeout', settings.idleTimeout]);
  if (settings.prepared > 0 || properties.length > 0) {
    lines.add('    <properties>', to);
    if (settings.prepared > 0) {
      const prepared = `--prepared ${settings.prepared}`;
      lines.add('      <connect.strategy>prepared</connect.strategy>', prepared);
      lines.add(`      <prepared.connection.count>${settings.prepared}</prepared.connection.count>`, prepared);
    }
    for (const [name, flag, value] of properties) lines.leaf('      ', name, flag, `${flag} ${value}`, value);
    lines.add('    </properties>', to);
  }
  if (settings.alias !== undefined || settings.inactivityTimeout !== undefined) {
    lines.add('    <connect-options>', to);
    if (settings.alias !== undefined) lines.leaf('      ', 'ssl.keystore.alias', '--alias', `--alias ${settings.alias}`, settings.alias);
    if (settings.inactivityTimeout !== undefined) {
      lines.leaf('      ', 'ws.inactivity.timeout', '--inactivity-timeout', `--inactivity-timeout ${settings.inactivityTimeout}`, settings.inactivityTimeout);
    }
    lines.add('    </connect-options>', to);
  }
  lines.add('  </service>', to);
  if (settings.keystore !== undefined || settings.truststore !== undefined) {
    lines.add('  <security>');
    if (settings.keystore !== undefined) addStore(lines, 'keystore', settings.keystore);
    if (settings.truststore !== undefined) addStore(lines, 'truststore', settings.truststore);
    lines.add('  </security>');
  }
  lines.add('</gateway-config>');
  return {
    text: lines.text,
    flagAt: (line) => lines.flagAt(line),
    lineOf: (flag) => lines.lineOf(flag),
    files: lines.files,
  };
}

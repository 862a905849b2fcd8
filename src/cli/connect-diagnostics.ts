/**
 * A problem found in the configuration `connect` made, told in the words of its flags: `--keystore device.p12:
 * error CODE: message`, never a line of a file the user did not write, and without the XML vocabulary that the
 * gateway's messages use for files (`<type>PKCS12</type>` becomes `--keystore-type PKCS12`).
 */
import type { Diagnostic } from '../config/types.js';
import { formatDiagnostic } from '../errors.js';
import type { ConnectSettings } from './connect-args.js';
import { CONNECT_SOURCE, type ConnectConfig } from './connect-config.js';

const ALIAS_ELEMENT = /<ssl\.keystore\.alias>([^<]*)<\/ssl\.keystore\.alias>/g;
const ALIAS_NAME = /\bssl\.keystore\.alias "([^"]*)"/;

/** The flag a diagnostic is about: the one it names, else the one the line it points at came from. */
function flagOf(d: Diagnostic, config: ConnectConfig): string {
  const alias = ALIAS_NAME.exec(d.message);
  if (alias) return `--alias ${alias[1]}`;
  // Messages about a file quote its absolute path; that tells a password file from its store.
  const file = config.files.find((f) => d.message.includes(`"${f.path}"`));
  if (file) return file.label;
  return (d.position?.line !== undefined ? config.flagAt(d.position.line) : undefined) ?? 'connect';
}

/**
 * Rewrites the few XML phrases the gateway's messages and hints use into the flags that mean the same; `status` and
 * `sessions` take the same store flags.
 */
export function inFlagWords(text: string, storeFlag: string): string {
  return text
    .replace(ALIAS_ELEMENT, '--alias $1')
    .replace(/<\/?ssl\.keystore\.alias>/g, '--alias')
    .replace(/\bssl\.keystore\.alias\b/g, '--alias')
    .replace(/you may need to specify <type>([^<]*)<\/type>/g, `give ${storeFlag}-type $1`)
    .replace(/write <type>([^<]*)<\/type> \(or leave <type> out\)/g, `give ${storeFlag}-type $1 (or leave it out)`)
    .replace(/add <password-file> to <keystore>/g, 'give --password-file')
    .replace(/add <password-file> to <truststore>/g, 'give --truststore-password-file');
}

/** How `connect` shows a diagnostic; those not about its own configuration are shown as `start` shows them. */
export function describeByFlag(d: Diagnostic, config: ConnectConfig): string {
  if (d.position === undefined || d.position.file !== CONNECT_SOURCE) return formatDiagnostic(d.severity, d.code, d.message, d.position, d.hint);
  const flag = flagOf(d, config);
  const storeFlag = flag.startsWith('--truststore') ? '--truststore' : '--keystore';
  const hint = d.hint === undefined ? undefined : inFlagWords(d.hint, storeFlag);
  return `${flag}: ${formatDiagnostic(d.severity, d.code, inFlagWords(d.message, storeFlag), undefined, hint)}`;
}

/** Warnings for the store flags a plain target does not use (they are still read and checked). */
export function unusedWarnings(settings: ConnectSettings, config: ConnectConfig): Diagnostic[] {
  return settings.unused.map(({ flag, why }) => ({
    severity: 'warning',
    code: 'GW_ERR_CONFIG_WARNING',
    message: `not used: ${why}`,
    position: { file: CONNECT_SOURCE, line: config.lineOf(flag) },
    hint: 'it is still read and checked',
  }));
}

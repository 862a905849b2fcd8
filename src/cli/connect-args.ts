/**
 * `connect`'s flags → the settings of one bridge, or a GW_ERR_USAGE error naming the flag. Only what the flags
 * alone decide is checked here (their form, and which need which); the stores are read later, exactly as `start`
 * reads those a file names.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { HostPort, Scheme, StoreType } from '../config/types.js';
import { MAXIMUM_PREPARED_CONNECTIONS } from '../config/proxy-properties.js';
import { isTlsScheme, parseAcceptUri, parseConnectUri } from '../config/uris.js';
import { GatewayError } from '../errors.js';
import { parseStoreType, STORE_TYPE_NAMES } from '../keystore/detect.js';

/** The flags as commander gives them. */
export interface ConnectFlags {
  readonly listen?: string;
  readonly to?: string;
  readonly keystore?: string;
  readonly passwordFile?: string;
  readonly keystoreType?: string;
  readonly alias?: string;
  readonly truststore?: string;
  readonly truststorePasswordFile?: string;
  readonly truststoreType?: string;
  readonly prepared?: string;
  readonly inactivityTimeout?: string;
  readonly maximumPendingBytes?: string;
  readonly closeTimeout?: string;
  readonly idleTimeout?: string;
}

/** A file flag: as written (what messages show) and absolute (what the configuration names). */
export interface FileFlag {
  readonly written: string;
  readonly path: string;
}

export interface StoreSettings {
  readonly file: FileFlag;
  readonly type: StoreType | undefined;
  readonly passwordFile: FileFlag | undefined;
}

export interface ConnectSettings {
  /** Where local clients connect; a bare port on the command line means 127.0.0.1. */
  readonly listen: HostPort;
  /** The accept URI made from `listen`, e.g. `tcp://127.0.0.1:5000` (IPv6 hosts in brackets). */
  readonly accept: string;
  /** `--to` as written. */
  readonly to: string;
  readonly scheme: Scheme;
  readonly keystore: StoreSettings | undefined;
  readonly alias: string | undefined;
  readonly truststore: StoreSettings | undefined;
  /** Connections kept open to the target ahead of local clients; 0 = connect when a client arrives. */
  readonly prepared: number;
  /**
   * The values of the flags that set a property or option as written (`30s`, `256k`), which the configuration
   * checks and reports by flag: `ws.inactivity.timeout` towards a WebSocket target, `maximum.pending.bytes`,
   * `close.timeout`, `idle.timeout`.
   */
  readonly inactivityTimeout: string | undefined;
  readonly maximumPendingBytes: string | undefined;
  readonly closeTimeout: string | undefined;
  readonly idleTimeout: string | undefined;
  /** Flags given that this target does not use, with why; never fatal. */
  readonly unused: readonly { readonly flag: string; readonly why: string }[];
}

/** A device bridge serves its own machine unless told otherwise. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

function usage(message: string, hint?: string): GatewayError {
  return new GatewayError('GW_ERR_USAGE', message, { hint });
}

export const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function parseListen(text: string): HostPort {
  const example = 'e.g. --listen 5000 for 127.0.0.1:5000, --listen 0.0.0.0:5000, --listen [::1]:5000';
  const match = /^(\d+)$/.exec(text) ?? /^\[([^\]]*)\]:(\d+)$/.exec(text) ?? /^([^:[\]]*):(\d+)$/.exec(text);
  if (match === null) {
    const bareIpv6 = isIP(text.replace(/:\d+$/, '')) === 6 || isIP(text) === 6;
    throw usage(`--listen expects PORT or HOST:PORT, got "${text}"`, bareIpv6 ? 'put an IPv6 address in brackets: [::1]:5000' : example);
  }
  const [host, portText] = match.length === 2 ? [DEFAULT_LISTEN_HOST, match[1] as string] : [match[1] as string, match[2] as string];
  const port = Number(portText);
  if (portText.length > 5 || port > 65535) throw usage(`--listen port ${portText} is out of range: expected 0 to 65535 (0 picks a free port)`);
  const inBrackets = text.startsWith('[');
  if (inBrackets ? isIP(host) !== 6 : isIP(host) !== 4 && !HOST_NAME.test(host)) {
    throw usage(`--listen host "${host}" is not an ${inBrackets ? 'IPv6 address' : 'IPv4 address or host name'}`, example);
  }
  return { host: host.toLowerCase(), port };
}

function acceptUri(listen: HostPort): string {
  const host = isIP(listen.host) === 6 ? `[${listen.host}]` : listen.host;
  const uri = `tcp://${host}:${listen.port}`;
  // The configuration reads it again; checking here keeps a problem with it on --listen.
  try {
    parseAcceptUri(uri);
  } catch (e) {
    throw new GatewayError('GW_ERR_USAGE', `--listen: ${(e as Error).message}`, { cause: e });
  }
  return uri;
}

function parseTo(text: string): Scheme {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) throw usage(`--to expects a URI, got "${text}"`, 'e.g. wss://gateway.example.com/devices/device-1 or tcp://10.0.0.5:7000');
  if (!['ws', 'wss', 'tcp', 'ssl'].includes(scheme)) {
    throw usage(`--to scheme "${scheme}://" is not supported: use wss://, ws://, ssl:// or tcp://`);
  }
  try {
    return parseConnectUri(text).scheme;
  } catch (e) {
    const hint = e instanceof GatewayError ? e.hint : undefined;
    throw new GatewayError('GW_ERR_USAGE', `--to: ${(e as Error).message}`, { cause: e, hint });
  }
}

function parsePrepared(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > MAXIMUM_PREPARED_CONNECTIONS) {
    throw usage(`--prepared expects a whole number from 0 to ${MAXIMUM_PREPARED_CONNECTIONS}, got "${text}"`);
  }
  return Number(text);
}

function storeType(flag: string, text: string | undefined): StoreType | undefined {
  if (text === undefined) return undefined;
  const type = parseStoreType(text);
  if (type === undefined) throw usage(`${flag} must be one of ${STORE_TYPE_NAMES}, got "${text}"`);
  return type;
}

function fileFlag(flag: string, written: string | undefined, cwd: string): FileFlag | undefined {
  if (written === undefined) return undefined;
  if (written.trim() === '') throw usage(`${flag} is empty: it must name a file`);
  return { written, path: resolve(cwd, written) };
}

/** The flags that only make sense with `main`, each reported by name when `main` is missing. */
function requireWith(main: string, given: boolean, dependents: readonly [string, unknown][]): void {
  if (given) return;
  for (const [flag, value] of dependents) {
    if (value !== undefined) throw usage(`${flag} needs ${main}`);
  }
}

/** The store flags `connect`, `status` and `sessions` share. */
export interface StoreFlags {
  keystore?: string | undefined;
  passwordFile?: string | undefined;
  keystoreType?: string | undefined;
  alias?: string | undefined;
  truststore?: string | undefined;
  truststorePasswordFile?: string | undefined;
  truststoreType?: string | undefined;
}

/** A flag that qualifies a store, given without that store, would otherwise be ignored without a word. */
export function requireStores(flags: StoreFlags): void {
  requireWith('--keystore', flags.keystore !== undefined, [
    ['--password-file', flags.passwordFile],
    ['--keystore-type', flags.keystoreType],
    ['--alias', flags.alias],
  ]);
  requireWith('--truststore', flags.truststore !== undefined, [
    ['--truststore-password-file', flags.truststorePasswordFile],
    ['--truststore-type', flags.truststoreType],
  ]);
}

/** `cwd` resolves relative store paths: a device's script names them from where it runs. */
export function connectSettings(flags: ConnectFlags, cwd: string = process.cwd()): ConnectSettings {
  if (flags.listen === undefined) throw usage('--listen is required: the local address clients connect to', 'e.g. --listen 5000 for 127.0.0.1:5000');
  if (flags.to === undefined) throw usage('--to is required: the gateway or server to connect to', 'e.g. --to wss://gateway.example.com/devices/device-1');
  const listen = parseListen(flags.listen);
  const accept = acceptUri(listen);
  const scheme = parseTo(flags.to);
  requireStores(flags);
  const store = (flag: string, file: string | undefined, type: string | undefined, passwordFlag: string, passwordFile: string | undefined): StoreSettings | undefined => {
    const f = fileFlag(flag, file, cwd);
    if (f === undefined) return undefined;
    return { file: f, type: storeType(`${flag}-type`, type), passwordFile: fileFlag(passwordFlag, passwordFile, cwd) };
  };
  const keystore = store('--keystore', flags.keystore, flags.keystoreType, '--password-file', flags.passwordFile);
  const truststore = store('--truststore', flags.truststore, flags.truststoreType, '--truststore-password-file', flags.truststorePasswordFile);
  if (flags.alias !== undefined && flags.alias.trim() === '') throw usage('--alias is empty: it must name a keystore entry');

  const tls = isTlsScheme(scheme);
  if (flags.alias !== undefined && !tls) throw usage(`--alias has no meaning for a ${scheme}:// target: it does not use TLS`, 'use a wss:// or ssl:// target, or leave --alias out');
  if (flags.inactivityTimeout !== undefined && scheme !== 'ws' && scheme !== 'wss') {
    throw usage(`--inactivity-timeout has no meaning for a ${scheme}:// target: a byte stream cannot be pinged`, 'use a wss:// or ws:// target, or leave it out: TCP keep-alive finds a target that vanished');
  }
  const unused: { flag: string; why: string }[] = [];
  // A start-up script may keep its store flags while pointing --to at a plain target for a test; that is not an
  // error, but the stores are then loaded (and checked) without being used, which the log says.
  if (!tls) {
    const why = `a ${scheme}:// target does not use TLS`;
    if (keystore !== undefined) unused.push({ flag: '--keystore', why });
    if (truststore !== undefined) unused.push({ flag: '--truststore', why });
  }
  return {
    listen,
    accept,
    to: flags.to,
    scheme,
    keystore,
    alias: flags.alias,
    truststore,
    prepared: parsePrepared(flags.prepared),
    inactivityTimeout: flags.inactivityTimeout,
    maximumPendingBytes: flags.maximumPendingBytes,
    closeTimeout: flags.closeTimeout,
    idleTimeout: flags.idleTimeout,
    unused,
  };
}

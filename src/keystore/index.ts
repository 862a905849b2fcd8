/**
 * The keystore module's entry points: `readStore`, a pure function from a store's bytes and password to its
 * keys, trusted certificates and secret-key names, and `loadStoreFile`, which applies Kaazing's file rules
 * (password files, truststores without a password) around it.
 */
import { readFileSync } from 'node:fs';
import { fileErrorReason, GatewayError, isGatewayError, toGatewayError } from '../errors.js';
import { detectFormat, sniffFormat } from './detect.js';
import { storeError } from './fail.js';
import { readJavaKeyStore } from './jks.js';
import { readPem } from './pem.js';
import { readPkcs12 } from './pkcs12.js';
import type { DecodedStoreLookup, ReadStoreOptions, StoreContents } from './types.js';

export type { KeyEntry, ReadStoreOptions, SecretEntry, StoreContents, StoreFormat, TrustedEntry } from './types.js';
export { detectFormat } from './detect.js';

export function readStore(bytes: Uint8Array, options: ReadStoreOptions): StoreContents {
  const { fileName, password } = options;
  const format = detectFormat(bytes, fileName, options.type);
  try {
    switch (format) {
      case 'JKS':
      case 'JCEKS':
        return readJavaKeyStore(bytes, password, fileName);
      case 'PKCS12':
        return readPkcs12(bytes, password, fileName);
      case 'PEM':
        return readPem(bytes, password, fileName);
    }
  } catch (e) {
    // The readers raise GatewayErrors for every damage the tests can produce; anything else escaping a
    // third-party parser on hostile input is still a damaged file, and is reported as one.
    throw toGatewayError(e, 'GW_ERR_STORE_CORRUPT', `store "${fileName}": the ${format} store cannot be read`);
  }
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new GatewayError('GW_ERR_FILE_READ', `cannot read ${what} "${path}": ${fileErrorReason(e)}`, { cause: e });
  }
}

/** Kaazing's password files: the first line is the password (a UTF-8 byte-order mark and the line end are not part of it). */
export function readPasswordFile(path: string): string {
  const text = readFile(path, 'password file').toString('utf8').replace(/^\uFEFF/, '');
  const end = text.search(/\r?\n|\r/);
  return end === -1 ? text : text.slice(0, end);
}

export function loadStoreFile(args: {
  file: string;
  type?: string | undefined;
  password?: string | undefined;
  passwordFile?: string | undefined;
  /** `store`: read only to be listed; like a truststore, no password is needed. */
  role: 'keystore' | 'truststore' | 'store';
  /** Stores decoded ahead on a thread (decode-thread.ts): this one is taken from there when its bytes are. */
  decoded?: DecodedStoreLookup | undefined;
}): StoreContents {
  const bytes = readFile(args.file, args.role);
  const password = args.password ?? (args.passwordFile !== undefined ? readPasswordFile(args.passwordFile) : undefined);
  let contents: StoreContents;
  try {
    const options = { fileName: args.file, type: args.type, password };
    contents = args.decoded?.find(bytes, options) ?? readStore(bytes, options);
  } catch (e) {
    if (isGatewayError(e) && e.code === 'GW_ERR_STORE_PASSWORD' && args.password === undefined && args.passwordFile !== undefined) {
      // The store is right and the file is wrong more often than not: say which file the password came from.
      throw withHint(e, `the password is the first line of ${args.passwordFile}${password === '' ? ', which is empty: write the password on the file\'s first line' : spaceHint(bytes, args, password)}`);
    }
    if (password !== undefined || args.role === 'store' || !isGatewayError(e)) throw e;
    // Kaazing's docs make stores with `keytool -importcert` and show no password file: on Java 9 and later that
    // makes a PKCS12 store, which (unlike JKS) cannot be read without its password. Say how to finish the job.
    if (e.code === 'GW_ERR_STORE_PASSWORD') throw withHint(e, passwordFileHint(args.role));
    if (e.code === 'GW_ERR_STORE_FORMAT' && sniffFormat(bytes) === 'PKCS12') {
      throw withHint(e, `write <type>PKCS12</type> (or leave <type> out) and ${passwordFileHint(args.role)}`);
    }
    throw e;
  }
  if (password === undefined && args.role === 'keystore' && contents.format !== 'PEM') {
    // Checked after reading so that a file that is no store at all is reported as that first.
    throw storeError('GW_ERR_STORE_PASSWORD', args.file, `a ${contents.format} keystore needs its password to read its private keys`,
      undefined, passwordFileHint('keystore'));
  }
  return contents;
}

/**
 * White space around a password file's first line is part of the password, as in Kaazing; a space pasted after
 * it is a common slip, so a password that fails is tried once more without it, to say whether that is the cause.
 */
function spaceHint(bytes: Buffer, args: { file: string; type?: string | undefined }, password: string | undefined): string {
  if (password === undefined || password.trim() === password) return '';
  let opens = false;
  try {
    readStore(bytes, { fileName: args.file, type: args.type, password: password.trim() });
    opens = true;
  } catch {
    // not the cause, or not the only one
  }
  return opens
    ? ', which begins or ends with white space that is part of the password: without it, the store opens; remove it from the file'
    : ', which begins or ends with white space, part of the password as written';
}

/** What to add to the configuration for a store that needs its password. */
function passwordFileHint(role: 'keystore' | 'truststore'): string {
  // keytool has no default password; changeit is the one of Kaazing's own truststore.db and of Java's cacerts.
  const why = role === 'truststore' ? ' (keytool makes PKCS12 stores since Java 9, which need it)' : '';
  return `add <password-file> to <${role}>, naming a file whose first line is the store's password as given to keytool${why}; Kaazing's own truststore.db and Java's cacerts use changeit`;
}

function withHint(e: GatewayError, hint: string): GatewayError {
  return new GatewayError(e.code, e.message, { cause: e.cause ?? e, position: e.position, hint });
}

/**
 * Which format a store is in. A declared `<type>` is checked against the content; without one, the file's
 * extension says what to expect and the leading bytes decide, because a name is only a hint while the magic
 * numbers are exact (JKS FEEDFEED, JCEKS CECECECE, PKCS#12 a DER SEQUENCE starting with INTEGER 3, PEM text).
 */
import { extname } from 'node:path';
import { storeError } from './fail.js';
import type { StoreFormat } from './types.js';

const FORMATS: readonly StoreFormat[] = ['JKS', 'JCEKS', 'PKCS12', 'PEM'];

const EXTENSIONS: Record<string, StoreFormat> = {
  '.jks': 'JKS',
  '.jceks': 'JCEKS',
  '.p12': 'PKCS12',
  '.pfx': 'PKCS12',
  '.pkcs12': 'PKCS12',
  '.pem': 'PEM',
  '.crt': 'PEM',
  '.cer': 'PEM',
  '.key': 'PEM',
};

/** The format the content itself shows, or undefined when it matches none. */
export function sniffFormat(bytes: Uint8Array): StoreFormat | undefined {
  if (bytes.length >= 4) {
    const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (magic === 0xfeedfeed) return 'JKS';
    if (magic === 0xcececece) return 'JCEKS';
  }
  if (bytes[0] === 0x30 && bytes.length > 2) {
    // SEQUENCE, its length (short or long form), then INTEGER 3: the PFX version.
    const l = bytes[1]!;
    const at = l < 0x80 ? 2 : 2 + (l & 0x7f);
    if (l !== 0x80 && bytes[at] === 0x02 && bytes[at + 1] === 0x01 && bytes[at + 2] === 0x03) return 'PKCS12';
    if (l === 0x80 && bytes[2] === 0x02 && bytes[3] === 0x01 && bytes[4] === 0x03) return 'PKCS12'; // BER, indefinite
  }
  const head = Buffer.from(bytes.subarray(0, 64 * 1024)).toString('latin1');
  if (head.includes('-----BEGIN ')) return 'PEM';
  return undefined;
}

function describe(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const hex = Buffer.from(bytes.subarray(0, 4)).toString('hex').replace(/(..)(?=.)/g, '$1 ');
  return `it starts with bytes ${hex}, which match no known store format`;
}

/** The store types a user may write, for error messages. */
export const STORE_TYPE_NAMES = `${FORMATS.join(', ')} (any case; PKCS#12, P12 and PFX also mean PKCS12)`;

/**
 * A declared store type (`<type>`, `keystore list --type`, `connect --keystore-type`), in any case, `PKCS#12`, `P12`
 * and `PFX` meaning PKCS12; undefined when it names none. The one place that decides, so the configuration, the
 * command line and the reader accept the same names.
 */
export function parseStoreType(declared: string): StoreFormat | undefined {
  const t = declared.trim().toUpperCase();
  const format = t === 'PKCS#12' || t === 'P12' || t === 'PFX' ? 'PKCS12' : t;
  return (FORMATS as readonly string[]).includes(format) ? format as StoreFormat : undefined;
}

export function normaliseType(declared: string, fileName: string): StoreFormat {
  const format = parseStoreType(declared);
  if (format !== undefined) return format;
  throw storeError('GW_ERR_STORE_FORMAT', fileName, `store type "${declared}" is not known`, undefined,
    `use one of ${STORE_TYPE_NAMES}`);
}

/**
 * Whether Java reads a store of format `actual` declared as `declared`, so that a Kaazing configuration that did so
 * worked there: its JCEKS keystore reads JKS files, and since Java 9 (`keystore.type.compat`, on by default) JKS and
 * PKCS12 each read the other. That is what keytool's own advice to migrate a JKS store in place to PKCS12
 * (`-deststoretype pkcs12`) leaves: a PKCS12 file the configuration still calls JKS.
 */
function readsAs(declared: StoreFormat, actual: StoreFormat): boolean {
  if (declared === 'JCEKS') return actual === 'JKS';
  if (declared === 'JKS') return actual === 'PKCS12';
  if (declared === 'PKCS12') return actual === 'JKS';
  return false;
}

export function detectFormat(bytes: Uint8Array, fileName: string, declared?: string): StoreFormat {
  const actual = sniffFormat(bytes);
  if (declared !== undefined && declared.trim() !== '') {
    const want = normaliseType(declared, fileName);
    if (actual !== undefined && (actual === want || readsAs(want, actual))) return actual;
    if (actual === undefined) {
      throw storeError('GW_ERR_STORE_FORMAT', fileName, `is declared ${want} but is not a ${want} store: ${describe(bytes)}`);
    }
    throw storeError('GW_ERR_STORE_FORMAT', fileName, `is declared ${want} but is a ${actual} store`, undefined,
      `you may need to specify <type>${actual}</type>`);
  }
  if (actual !== undefined) return actual;
  const expected = EXTENSIONS[extname(fileName).toLowerCase()];
  if (expected !== undefined) {
    throw storeError('GW_ERR_STORE_FORMAT', fileName, `is named like a ${expected} store but is not one: ${describe(bytes)}`);
  }
  throw storeError('GW_ERR_STORE_FORMAT', fileName, `is of no known store type: ${describe(bytes)}`, undefined,
    `key and trust stores are ${FORMATS.join(', ')}`);
}

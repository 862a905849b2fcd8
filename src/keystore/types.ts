/**
 * What any key or trust store holds once decoded, whatever its format. Produced by a pure function of the file's
 * bytes and password (src/keystore/index.ts `readStore`), consumed by src/tls and by `gateway keystore list`.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

export type StoreFormat = 'JKS' | 'JCEKS' | 'PKCS12' | 'PEM';

export interface KeyEntry {
  readonly alias: string;
  readonly privateKey: KeyObject;
  /** Leaf first, then its issuers as stored. Never empty. */
  readonly chain: readonly X509Certificate[];
}

export interface TrustedEntry {
  readonly alias: string;
  readonly certificate: X509Certificate;
}

/** A private-key entry whose key was not opened (no password was given): its certificates are still readable. */
export interface LockedKeyEntry {
  readonly alias: string;
  readonly chain: readonly X509Certificate[];
}

export interface SecretEntry {
  readonly alias: string;
  /** Java algorithm name when it could be read (e.g. `AES`), else undefined. */
  readonly algorithm: string | undefined;
}

export interface StoreContents {
  readonly format: StoreFormat;
  readonly keys: readonly KeyEntry[];
  readonly trusted: readonly TrustedEntry[];
  readonly secrets: readonly SecretEntry[];
  /** JKS/JCEKS key entries read without a password, for listing only (never used to serve TLS). */
  readonly lockedKeys?: readonly LockedKeyEntry[];
  /** Non-fatal findings, e.g. "read without an integrity check because no password was given". */
  readonly warnings: readonly string[];
}

/** Stores decoded ahead of their use (decode-thread.ts), found by the bytes, type, password and file they came from. */
export interface DecodedStoreLookup {
  find(bytes: Uint8Array, options: ReadStoreOptions): StoreContents | undefined;
}

export interface ReadStoreOptions {
  /** Store password; undefined = none given (a truststore is then read without its integrity check). */
  readonly password?: string | undefined;
  /** Declared type (`<type>`), any case; undefined = from the file name's extension, then the magic bytes. */
  readonly type?: string | undefined;
  /** File name, used for extension detection and in every error message. */
  readonly fileName: string;
}

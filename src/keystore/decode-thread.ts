/**
 * A reload's stores, decoded on a thread of their own before the reload reads them.
 *
 * Opening a JCEKS or PKCS12 key runs its password-based key derivation: 2 × 200,000 MD5 rounds for a JCEKS key
 * (100–200 ms each, depending on the machine), tens of thousands of PBKDF2 or PKCS12 rounds for PKCS12. At start-up
 * that is paid before anything is served; on a reload it would hold every live connection of the process for as
 * long: half a second for a JCEKS keystore of three keys. So a reload hands those stores to a worker thread first and
 * waits for it without blocking, and the gateway goes on serving meanwhile.
 *
 * What comes back is only a head start. The reload then reads each store as it always does (`loadStoreFile`), and
 * takes a decoded store only for the very bytes, type and password the thread was given. Anything else — a store
 * that failed to decode (its error is produced again where it is read, in the same words), a file changed in
 * between, a thread that could not run — is decoded where it is read, as it was before.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { detectFormat } from './detect.js';
import { readPasswordFile } from './index.js';
import type { DecodedStoreLookup, ReadStoreOptions, StoreContents } from './types.js';

/** A store as a configuration names it. */
export interface StoreFile {
  readonly file: string;
  readonly type?: string | undefined;
  readonly passwordFile?: string | undefined;
}

/** What the worker is given for one store, and gives back. */
export interface DecodeRequest {
  readonly bytes: Uint8Array;
  readonly options: ReadStoreOptions;
}

interface Decoded {
  readonly bytes: Uint8Array;
  readonly options: ReadStoreOptions;
  readonly contents: StoreContents;
}

/** Stores decoded ahead of their use; each is handed out for exactly what it was decoded from. */
export class DecodedStores implements DecodedStoreLookup {
  readonly #decoded: readonly Decoded[];
  /** Why the thread could not decode them, when it could not run or did not answer; undefined otherwise. */
  readonly problem: string | undefined;

  constructor(decoded: readonly Decoded[] = [], problem?: string) {
    this.#decoded = decoded;
    this.problem = problem;
  }

  /** How many stores were decoded. */
  get size(): number {
    return this.#decoded.length;
  }

  /** The contents decoded from these bytes with these options, or undefined. */
  find(bytes: Uint8Array, options: ReadStoreOptions): StoreContents | undefined {
    const found = this.#decoded.find(
      (d) => d.options.fileName === options.fileName && d.options.type === options.type && d.options.password === options.password && Buffer.compare(d.bytes, bytes) === 0,
    );
    return found?.contents;
  }
}

/** Only these derive keys from a password; PEM and JKS read in milliseconds and are left where they are read. */
const SLOW_FORMATS = new Set(['JCEKS', 'PKCS12']);

/** The stores worth a thread: readable, with a password, in a format that derives keys from it. */
function requestsFor(stores: readonly StoreFile[]): DecodeRequest[] {
  const requests: DecodeRequest[] = [];
  for (const store of stores) {
    try {
      const bytes = readFileSync(store.file);
      if (store.passwordFile === undefined || !SLOW_FORMATS.has(detectFormat(bytes, store.file, store.type))) continue;
      requests.push({ bytes, options: { fileName: store.file, type: store.type, password: readPasswordFile(store.passwordFile) } });
    } catch {
      // Whatever cannot be read here is read, and reported, where the reload reads it.
    }
  }
  return requests;
}

/**
 * Decodes `stores` (those worth it: see `SLOW_FORMATS`) on a worker thread. Never rejects: a store the thread could
 * not decode is not among the results, and a thread that could not run or did not answer says why in `problem`.
 */
export async function decodeOffThread(stores: readonly StoreFile[]): Promise<DecodedStores> {
  const requests = requestsFor(stores);
  if (requests.length === 0) return new DecodedStores();
  const answer = await new Promise<{ readonly results: readonly (StoreContents | undefined)[]; readonly problem?: string }>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: requests });
    } catch (err) {
      resolve({ results: [], problem: describe(err) });
      return;
    }
    worker.once('message', (results: readonly (StoreContents | undefined)[]) => {
      resolve({ results });
      void worker.terminate();
    });
    worker.once('error', (err) => resolve({ results: [], problem: describe(err) }));
    worker.once('exit', (code) => resolve({ results: [], problem: `the thread exited with code ${code} before it answered` }));
  });
  const decoded: Decoded[] = [];
  requests.forEach((request, i) => {
    const contents = answer.results[i];
    if (contents !== undefined) decoded.push({ ...request, contents });
  });
  return new DecodedStores(decoded, answer.problem);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

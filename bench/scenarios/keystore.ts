/**
 * Keystore loading, the gateway's alone (the peers read PEM files only): what bench/keystore.ts measures. That
 * module is optional; without it the scenario is skipped with a note.
 */
import type { Row } from '../report/types.js';

export interface KeystoreMeasurement {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

type KeystoreModule = { benchKeystore: () => Promise<KeystoreMeasurement[]> };

/** Undefined when the module is not there. Resolved at run time so the harness builds without it. */
export async function loadKeystoreBench(): Promise<KeystoreModule | undefined> {
  const specifier: string = '../keystore.js';
  try {
    const mod = (await import(specifier)) as Partial<KeystoreModule>;
    return typeof mod.benchKeystore === 'function' ? (mod as KeystoreModule) : undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('keystore.js')) return undefined;
    throw err;
  }
}

export function keystoreRows(measurements: readonly KeystoreMeasurement[]): Row[] {
  return measurements.map((m) => ({ scenario: 'keystore', system: 'gateway', metric: m.name, value: m.value, unit: m.unit }));
}

/**
 * Keystore load costs: one JCEKS key unprotection (PBEWithMD5AndTripleDES, 200 000 MD5 rounds per salt half, done
 * once per key at load), the same derivation with node:crypto's createHash for comparison, and loading the
 * 150-certificate JKS truststore. Medians of several runs after one warm-up.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deriveJceksKey } from '../src/keystore/jks-keys.js';
import { readStore } from '../src/keystore/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/stores/${name}`, import.meta.url));

function median(runs: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function createHashDerivation(password: Buffer, salt: Buffer, iterations: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    let d = salt.subarray(i * 4, i * 4 + 4);
    for (let j = 0; j < iterations; j++) d = createHash('md5').update(d).update(password).digest();
    out.push(d);
  }
  return Buffer.concat(out);
}

export async function benchKeystore(): Promise<{ name: string; value: number; unit: string }[]> {
  const password = Buffer.from('jceks-pass');
  const salt = Buffer.from('0102030405060708', 'hex');
  const truststore = readFileSync(fixture('truststore-150.jks'));
  return [
    { name: 'jceks key derivation (200000 rounds, TypeScript MD5)', value: median(7, () => deriveJceksKey(password, salt, 200_000)), unit: 'ms' },
    { name: 'jceks key derivation (200000 rounds, node:crypto createHash)', value: median(3, () => createHashDerivation(password, salt, 200_000)), unit: 'ms' },
    {
      name: 'load 150-certificate JKS truststore',
      value: median(9, () => readStore(truststore, { fileName: 'truststore-150.jks', password: 'changeit' })),
      unit: 'ms',
    },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchKeystore();
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.value.toFixed(1).padStart(8)} ${r.unit}\n`);
}

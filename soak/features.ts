/**
 * Which of the accept-options the soak relies on the gateway under test knows. Asked of `bin/gateway check` itself,
 * so the answer is the build's, whatever its age: an option it does not know is reported, and the scenarios that
 * need it run without it and say so.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../bench/paths.js';
import { renderConfig } from './config.js';

/** The options probed, each with a value any build that knows the option accepts. */
export const PROBED_OPTIONS: Readonly<Record<string, string>> = {
  'ws.handshake.timeout': '2s',
  'tcp.maximum.connections': '10000',
};

export interface Features {
  /** Whether the gateway accepts this accept-option. Options not probed count as known. */
  knows(option: string): boolean;
  readonly unknown: readonly string[];
}

/** The options `check` called unknown elements (GW_ERR_CONFIG_UNKNOWN_ELEMENT … Unknown element <x>). */
export function unknownOptions(checkOutput: string, names: readonly string[]): string[] {
  return names.filter((name) => checkOutput.includes(`Unknown element <${name}>`));
}

export function featuresOf(unknown: readonly string[]): Features {
  const set = new Set(unknown);
  return { knows: (option) => !set.has(option), unknown: [...unknown] };
}

/** Runs `bin/gateway check` on a one-service file that uses every probed option. */
export function probeFeatures(workDir: string): Features {
  const file = join(workDir, 'probe-config.xml');
  const { xml } = renderConfig({
    services: [{ name: 'probe', accept: 'ws://127.0.0.1:0/probe', type: 'echo', acceptOptions: PROBED_OPTIONS }],
    keystore: 'unused.pem',
    truststore: 'unused.pem',
  });
  writeFileSync(file, xml.replace(/\s*<security>[\s\S]*<\/security>/, ''));
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'gateway'), 'check', '--config', file], { encoding: 'utf8', timeout: 30000 });
  if (r.error) throw new Error(`bin/gateway check could not run: ${r.error.message}`);
  return featuresOf(unknownOptions(`${r.stdout}\n${r.stderr}`, Object.keys(PROBED_OPTIONS)));
}

#!/usr/bin/env node
// Runs every compiled test file with node's own test runner. Node 20's `--test` does not expand globs, so the
// list is gathered here; arguments narrow it (`npm test -- keystore` runs the files whose path contains "keystore").
//
// Two deadlines keep a regression from hanging CI. `--test-timeout` fails a test that runs too long (node 20 also
// applies it to each file as a whole, which our files stay far below). A file that finishes its tests but leaves a
// handle open, or a runner that stops reporting, is caught by the deadline on the whole run, which kills the
// runner's process group: the test files and any gateway they started.
// TEST_TIMEOUT_MS and TEST_RUN_TIMEOUT_MS override the defaults.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TEST_TIMEOUT_MS = positive('TEST_TIMEOUT_MS', 120_000);
const RUN_TIMEOUT_MS = positive('TEST_RUN_TIMEOUT_MS', 15 * 60_000);

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive number of milliseconds, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

// `--test-timeout` arrived in node 20.11 (package.json allows 20.10); an unknown flag would stop node outright.
function supportsTestTimeout() {
  const help = spawnSync(process.execPath, ['--help'], { encoding: 'utf8' });
  return help.stdout.includes('--test-timeout');
}

const filters = process.argv.slice(2);
const files = collect(testRoot).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error(`no test files found under ${relative(root, testRoot)}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}

const args = ['--test', '--test-concurrency=2'];
if (supportsTestTimeout()) args.push(`--test-timeout=${TEST_TIMEOUT_MS}`);
else console.error(`node ${process.version} has no --test-timeout; only the ${RUN_TIMEOUT_MS} ms deadline on the whole run applies`);

// Its own process group, so that the deadline can end the runner together with everything it started.
const runner = spawn(process.execPath, [...args, ...files], { stdio: 'inherit', cwd: root, detached: true });
const killGroup = (signal) => {
  try {
    process.kill(-runner.pid, signal);
  } catch {
    // the group is already gone
  }
};
const deadline = setTimeout(() => {
  console.error(`\nthe test run timed out after ${RUN_TIMEOUT_MS} ms; stopping the runner and the processes it started`);
  killGroup('SIGKILL');
}, RUN_TIMEOUT_MS);
// A detached group no longer receives the terminal's Ctrl-C, so pass it on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killGroup(signal));

runner.on('exit', (code, signal) => {
  clearTimeout(deadline);
  killGroup('SIGKILL'); // nothing a test started outlives the run
  process.exit(code ?? (signal ? 1 : 0));
});

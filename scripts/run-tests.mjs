#!/usr/bin/env node
// Runs every compiled test file with node's own test runner. Node 20's `--test` does not expand globs, so the
// list is gathered here; arguments narrow it (`npm test -- keystore` runs the files whose path contains "keystore").
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(testRoot).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error(`no test files found under ${relative(root, testRoot)}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);

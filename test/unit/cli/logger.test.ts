/**
 * Text logs (`--log-format text`) are one line per event whatever a line carries: a message that quotes what a client
 * chose (a certificate's subject with a newline in it), an error with a stack of many lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { oneLine } from '../../../src/cli/logger.js';
import { repoPath } from '../../helpers/paths.js';

test('oneLine writes control characters and line separators as escapes, and leaves the rest', () => {
  assert.equal(oneLine('a\nb\r\tc\u001b[31m\u2028d\u0085 é ✓'), 'a\\nb\\r\\tc\\u001b[31m\\u2028d\\u0085 é ✓');
});

test('a text log line holds its message, error and fields on one line, with nothing a message quotes able to start another', () => {
  const logger = pathToFileURL(repoPath('dist/src/cli/logger.js')).href;
  const script = `import(${JSON.stringify(logger)}).then((m) => {
    const log = m.createLogger('text');
    log.warn({ code: 'GW_ERR_X' }, 'client certificate refused: "CN=x\\n[2026-12-05 11:20:00.000] INFO: connection opened"');
    log.error({ err: new Error('boom\\nsecond line') }, 'failed');
  });`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 2, out);
  assert.match(lines[0] ?? '', /^\[[-0-9 :.]+\] WARN: client certificate refused: "CN=x\\n\[2026-12-05 11:20:00\.000\] INFO: connection opened" \{"code":"GW_ERR_X"\}$/);
  assert.match(lines[1] ?? '', /^\[[-0-9 :.]+\] ERROR: failed err=\{"type":"Error","message":"boom\\nsecond line","stack":"Error: boom\\nsecond line\\n {4}at /);
});

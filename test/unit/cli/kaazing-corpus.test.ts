/**
 * `check` over every real Kaazing file of the corpus, in process: no name of Kaazing's schemas is called unknown,
 * nothing crashes, and each file is valid or reports only what this gateway does not serve (and the stores it
 * names, not copied with it), at file:line:col. test/e2e/kaazing-corpus.test.ts runs bin/gateway on some of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { check } from '../../../src/cli/check.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { CORPUS, CORPUS_FILES, allowedError } from '../../helpers/kaazing-corpus.js';

const ERROR = /^(.+?):(\d+):(\d+): error (GW_ERR_[A-Z0-9_]+): .+$/;

test('the corpus is there', () => assert.ok(CORPUS_FILES.length >= 40, `${CORPUS_FILES.length} files`));

for (const name of CORPUS_FILES) {
  test(name, () => {
    const lines: string[] = [];
    const code = check(`${CORPUS}/${name}`, {}, pino({ level: 'silent' }), (l) => lines.push(l));
    const out = lines.join('\n');
    assert.ok(code === EXIT.OK || code === EXIT.INVALID, `exit ${code}`);
    assert.doesNotMatch(out, /GW_ERR_INTERNAL/);
    assert.doesNotMatch(out, /GW_ERR_CONFIG_UNKNOWN_ELEMENT/, "a name of Kaazing's schemas called unknown");
    if (code === EXIT.OK) return;
    const errors = lines.filter((l) => / error GW_ERR_/.test(l));
    assert.ok(errors.length > 0, `exit 1 but no error:\n${out}`);
    for (const line of errors) {
      const m = ERROR.exec(line);
      assert.ok(m, `not at file:line:col: ${line}`);
      assert.ok(allowedError(name, m[4] as string, line), line);
    }
  });
}

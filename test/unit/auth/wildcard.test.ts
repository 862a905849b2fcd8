import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitWildcards, wildcardMatch } from '../../../src/auth/wildcard.js';

test('without a star a pattern is an exact, case-sensitive comparison', () => {
  assert.equal(wildcardMatch(['devices'], 'devices'), true);
  assert.equal(wildcardMatch(['devices'], 'Devices'), false);
  assert.equal(wildcardMatch(['devices'], 'devices2'), false);
  assert.equal(wildcardMatch([''], ''), true);
});

test('a star matches any run of characters, the empty run included', () => {
  const p = splitWildcards('device-*');
  assert.deepEqual(p, ['device-', '']);
  assert.equal(wildcardMatch(p, 'device-1'), true);
  assert.equal(wildcardMatch(p, 'device-'), true);
  assert.equal(wildcardMatch(p, 'devic'), false);
  assert.equal(wildcardMatch(splitWildcards('*'), ''), true);
  assert.equal(wildcardMatch(splitWildcards('a*b*c'), 'abc'), true);
  assert.equal(wildcardMatch(splitWildcards('a*b*c'), 'axxbyyc'), true);
  assert.equal(wildcardMatch(splitWildcards('a*b*c'), 'acb'), false);
  assert.equal(wildcardMatch(splitWildcards('*a*'), 'bab'), true);
  assert.equal(wildcardMatch(splitWildcards('**'), 'x'), true);
});

test('prefix and suffix may not overlap', () => {
  assert.equal(wildcardMatch(splitWildcards('ab*ba'), 'aba'), false);
  assert.equal(wildcardMatch(splitWildcards('ab*ba'), 'abba'), true);
});

test('for DNS names a star stays within one label', () => {
  const p = splitWildcards('*.devices.acme.com');
  assert.equal(wildcardMatch(p, 'd1.devices.acme.com', false), true);
  assert.equal(wildcardMatch(p, 'a.b.devices.acme.com', false), false);
  assert.equal(wildcardMatch(p, 'a.b.devices.acme.com', true), true);
  assert.equal(wildcardMatch(splitWildcards('d*.acme.com'), 'd.x.acme.com', false), false);
  assert.equal(wildcardMatch(splitWildcards('a*.b*.com'), 'ax.by.com', false), true);
});

test('\\* is a literal star and \\\\ a literal backslash', () => {
  assert.deepEqual(splitWildcards('a\\*b'), ['a*b']);
  assert.deepEqual(splitWildcards('a\\\\*'), ['a\\', '']);
  assert.deepEqual(splitWildcards('a\\b'), ['a\\b']);
  assert.equal(wildcardMatch(splitWildcards('a\\*b'), 'axb'), false);
  assert.equal(wildcardMatch(splitWildcards('a\\*b'), 'a*b'), true);
});

/** Reference semantics: the same pattern as an anchored regular expression. */
function reference(pattern: readonly string[], value: string, starMatchesDot: boolean): boolean {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const star = starMatchesDot ? '[^]*' : '[^.]*';
  return new RegExp(`^${pattern.map(esc).join(star)}$`, 'u').test(value);
}

test('property: matching agrees with an anchored regular expression', () => {
  const alphabet = fc.constantFrom('a', 'b', '.', '-');
  const piece = fc.string({ unit: alphabet, maxLength: 4 });
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), fc.string({ unit: alphabet, maxLength: 12 }), fc.boolean(), (p, v, dot) => {
      assert.equal(wildcardMatch(p, v, dot), reference(p, v, dot));
    }),
    { numRuns: 3000 },
  );
});

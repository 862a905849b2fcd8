import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GatewayError } from '../../../src/errors.js';
import {
  normalizeAttributeName,
  normalizeSubjectAttributes,
  parseSubjectPattern,
  subjectMatches,
} from '../../../src/auth/subject.js';

const pos = { file: 'gateway-config.xml', line: 7, column: 5 };
const attrs = (a: Record<string, string[]>) => normalizeSubjectAttributes(a);
const device1 = attrs({ CN: ['device-1'], OU: ['devices'], O: ['Acme'] });
const matches = (pattern: string, a = device1) => subjectMatches(parseSubjectPattern(pattern, pos), a);

test('a pattern is the attribute=value pairs it names, names upper-cased', () => {
  const p = parseSubjectPattern('OU=devices, o=Acme', pos);
  assert.deepEqual(p.attributes, [
    { name: 'OU', value: ['devices'] },
    { name: 'O', value: ['Acme'] },
  ]);
  assert.equal(p.text, 'OU=devices, o=Acme');
});

test('every attribute named must be present with that value; others, order and spacing do not matter', () => {
  assert.equal(matches('OU=devices, O=Acme'), true);
  assert.equal(matches('O=Acme,OU=devices'), true);
  assert.equal(matches('  O = Acme ;  CN=device-1 '), true);
  assert.equal(matches('OU=devices, O=Evil'), false);
  assert.equal(matches('OU=devices, L=Paris'), false);
});

test('attribute names are case-insensitive and common aliases are one attribute; values are case-sensitive', () => {
  assert.equal(matches('ou=devices, cn=device-1'), true);
  assert.equal(matches('OU=Devices'), false);
  const withMail = attrs({ CN: ['x'], emailAddress: ['ops@acme.com'], ST: ['Bavaria'] });
  assert.equal(matches('E=ops@acme.com', withMail), true);
  assert.equal(matches('EMAIL=ops@acme.com, S=Bavaria', withMail), true);
  assert.equal(matches('emailaddress=ops@acme.com', withMail), true);
  assert.equal(normalizeAttributeName(' street '), 'STREET');
});

test('with several values of one attribute, the named value must be among them', () => {
  const twoOus = attrs({ CN: ['d'], OU: ['devices', 'sensors'] });
  assert.equal(matches('OU=sensors', twoOus), true);
  assert.equal(matches('OU=devices', twoOus), true);
  assert.equal(matches('OU=devices, OU=sensors', twoOus), true);
  assert.equal(matches('OU=devices, OU=actuators', twoOus), false);
  assert.equal(matches('OU=devices, OU=sensors', device1), false);
});

test('* in a value is a wildcard; \\* and \\2A are a literal star', () => {
  assert.equal(matches('CN=device-*'), true);
  assert.equal(matches('CN=*-1'), true);
  assert.equal(matches('CN=*'), true);
  assert.equal(matches('CN=sensor-*'), false);
  assert.equal(matches('CN=device\\*'), false);
  const star = attrs({ CN: ['a*b'] });
  assert.equal(matches('CN=a\\*b', star), true);
  assert.equal(matches('CN=a\\2Ab', star), true);
  assert.equal(matches('CN=a\\2Ab', attrs({ CN: ['axb'] })), false);
});

test('RFC 4514 escapes: \\, \\+ \\; \\\\ \\" hex pairs as UTF-8, escaped spaces kept', () => {
  assert.equal(matches('O=Acme\\, Inc.', attrs({ O: ['Acme, Inc.'] })), true);
  assert.equal(matches('O=Acme\\, Inc.', attrs({ O: ['Acme'] })), false);
  assert.equal(matches('CN=a\\+b\\;c\\\\d\\"e', attrs({ CN: ['a+b;c\\d"e'] })), true);
  assert.equal(matches('L=M\\C3\\BCnchen', attrs({ L: ['München'] })), true);
  assert.equal(matches('L=München', attrs({ L: ['München'] })), true);
  assert.equal(matches('CN=\\ padded\\ ', attrs({ CN: [' padded '] })), true);
  assert.equal(matches('CN=\\ padded\\ ', attrs({ CN: ['padded'] })), false);
  assert.equal(matches('CN=two words', attrs({ CN: ['two words'] })), true);
  assert.equal(matches('CN=\\#1', attrs({ CN: ['#1'] })), true);
});

test('an OID may stand for an attribute name', () => {
  assert.equal(matches('2.5.4.5=1234', attrs({ '2.5.4.5': ['1234'] })), true);
});

test('a malformed pattern is a GW_ERR_CONFIG_VALUE naming the value and the position', () => {
  const bad: [string, RegExp][] = [
    ['', /names no attribute/],
    ['devices', /"devices" has no "="/],
    ['=x', /attribute name is missing/],
    ['O U=x', /"O U" is not an attribute name/],
    ['CN=', /value of CN is empty/],
    ['CN=a, OU=', /value of OU is empty/],
    ['CN=a\\', /ends with a lone/],
    ['CN=a\\q', /"\\q" in the value of CN is not an escape/],
    ['CN=a=b', /"=" in the value of CN must be escaped/],
    ['CN=#04024869', /"#" in the value of CN must be escaped/],
    ['CN=\\FF', /not UTF-8/],
    ['CN=a+b', /"b" has no "="/],
  ];
  for (const [text, why] of bad) {
    assert.throws(
      () => parseSubjectPattern(text, pos),
      (e: unknown) => {
        assert.ok(e instanceof GatewayError, text);
        assert.equal(e.code, 'GW_ERR_CONFIG_VALUE');
        assert.deepEqual(e.position, pos);
        assert.ok(e.message.startsWith(`<client-subject> "${text}" is not valid: `), e.message);
        assert.match(e.message, why);
        return true;
      },
    );
  }
});

test('a multi-valued RDN (+) counts as separate attributes', () => {
  assert.equal(matches('CN=device-1+OU=devices'), true);
});

test('property: any value, escaped as RFC 4514 says, matches itself and nothing else', () => {
  const chars = (v: string) => Array.from(v);
  const escape = (v: string) =>
    chars(v)
      .map((c, i, all) => (/[\\,+";<>=*#]/.test(c) || (c === ' ' && (i === 0 || i === all.length - 1)) ? `\\${c}` : c))
      .join('');
  const unit = fc.oneof(fc.constantFrom(',', '+', '"', ';', '<', '>', '=', '\\', '*', '#', ' ', 'é'), fc.string({ minLength: 1, maxLength: 1 }));
  fc.assert(
    fc.property(fc.string({ unit, minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 3 }), (value, extra) => {
      const p = parseSubjectPattern(`CN=${escape(value)}, O=Acme`);
      assert.equal(subjectMatches(p, attrs({ CN: [value], O: ['Acme'] })), true, value);
      assert.equal(subjectMatches(p, attrs({ CN: [value + extra], O: ['Acme'] })), false);
      assert.equal(subjectMatches(p, attrs({ CN: [extra + value], O: ['Acme'] })), false);
    }),
    { numRuns: 2000 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { parseXml } from '../../../src/config/xml.js';
import { openElementsAtEnd } from '../../../src/config/xml-errors.js';
import type { Diagnostic } from '../../../src/config/types.js';

function problem(text: string): Diagnostic {
  const diags = new Diagnostics();
  assert.equal(parseXml(text, 'f.xml', diags), undefined);
  assert.equal(diags.all.length, 1);
  const [d] = diags.all;
  assert.equal(d?.code, 'GW_ERR_CONFIG_XML');
  return d as Diagnostic;
}

const at = (d: Diagnostic): string => `${d.position?.line}:${d.position?.column}`;

const CONFIG = ['<?xml version="1.0"?>', '<gateway-config xmlns="x">', '  <service>', '    <name>echo</name>', '    <accept>ws://h:1/</accept>', '  </service>', '</gateway-config>', ''].join('\n');

test('a truncated file is reported where it ends, naming each open element and where it was opened', () => {
  const cut = CONFIG.slice(0, CONFIG.indexOf('</service>'));
  const d = problem(cut);
  assert.equal(at(d), '5:31');
  assert.equal(d.message, 'Not well-formed XML: the file ends with these elements still open: <service> (opened at 3:3), <gateway-config> (opened at 2:1)');
  assert.match(d.hint ?? '', /truncated/);
  assert.doesNotMatch(d.message, /\[|Invalid '/);
});

test('in a file saved with CR or CRLF line ends, a well-formedness error is placed on its own line, as every other error is', () => {
  const mismatched = CONFIG.replace('<name>echo</name>', '<name>echo</nmae>');
  for (const eol of ['\r', '\r\n']) assert.equal(at(problem(mismatched.replaceAll('\n', eol))), '4:15', JSON.stringify(eol));
});

test('a file cut inside a tag or a comment says so', () => {
  const inTag = problem(CONFIG.slice(0, CONFIG.indexOf('<accept>') + 4));
  assert.equal(at(inTag), '5:9');
  assert.equal(inTag.message, 'Not well-formed XML: the file ends inside the tag <acc begun at 5:5, with <service> (opened at 3:3), <gateway-config> (opened at 2:1) still open: the file looks truncated');
  const inComment = problem('<a>\n  <!-- a <b> comment\n');
  assert.match(inComment.message, /ends inside a comment begun at 2:3, with <a> \(opened at 1:1\) still open/);
});

test('a file cut inside a closing tag says it ends there, not what the unfinished tag lacks', () => {
  const end = CONFIG.indexOf('</name>');
  for (const cut of [CONFIG.slice(0, end + 2), CONFIG.slice(0, end + 4), CONFIG.slice(0, end + 6)]) {
    const d = problem(cut);
    assert.match(d.message, /^Not well-formed XML: the file ends inside the tag <\/n?a?m?e? begun at 4:15, with <name> \(opened at 4:5\), <service> \(opened at 3:3\), <gateway-config> \(opened at 2:1\) still open: the file looks truncated$/, cut);
    assert.equal(d.hint, 'restore the rest of the file');
  }
  // A malformed closing tag that is not at the end is still described as it is.
  assert.doesNotMatch(problem(CONFIG.replace('</name>', '</name x>')).message, /truncated/);
});

test('one unclosed element at the end is named with where it opened', () => {
  const d = problem('<a>\n  <b/>\n');
  assert.equal(d.message, 'Not well-formed XML: the file ends with <a> (opened at 1:1) still open');
});

test('a closing tag that does not match names the open element and its position', () => {
  const d = problem('<a>\n  <b>text\n</a>');
  assert.equal(at(d), '3:1');
  assert.equal(d.message, 'Not well-formed XML: </a> does not close <b>, which is open since 2:3');
  assert.equal(d.hint, 'close <b> with </b> before this, or correct the name of </a>');
});

test('stray closing tags, bare ampersands and valueless attributes are said in words', () => {
  assert.equal(problem('<a></a>\n</b>').message, 'Not well-formed XML: </b> closes no open element');
  const amp = problem('<a>\n  x & y\n</a>');
  assert.equal(at(amp), '2:5');
  assert.equal(amp.hint, 'write &amp; for a literal &');
  assert.equal(problem('<a b=>x</a>').message, 'Not well-formed XML: attribute b has no value');
});

test('the scan of open elements skips quoted >, comments, CDATA and self-closed elements', () => {
  const { open, unfinished } = openElementsAtEnd('<?xml version="1.0"?><a x=">"><!-- <c> --><![CDATA[<d>]]><e/><f></f><g>');
  assert.deepEqual(open.map((t) => t.name), ['a', 'g']);
  assert.equal(unfinished, undefined);
});

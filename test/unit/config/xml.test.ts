import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { LineIndex, decodeEntities, parseXml, type XmlElement } from '../../../src/config/xml.js';

function parse(text: string): { root: XmlElement | undefined; diags: Diagnostics } {
  const diags = new Diagnostics();
  return { root: parseXml(text, 'f.xml', diags), diags };
}

const at = (e: XmlElement | undefined): string => `${e?.position.line}:${e?.position.column}`;

test('each element knows its 1-based line and column', () => {
  const { root, diags } = parse(['<?xml version="1.0"?>', '<!-- a comment -->', '<a>', '  <b>x</b>', '    <c/>', '</a>'].join('\n'));
  assert.deepEqual(diags.all, []);
  assert.equal(root?.name, 'a');
  assert.equal(at(root), '3:1');
  assert.equal(at(root?.children[0]), '4:3');
  assert.equal(at(root?.children[1]), '5:5');
  assert.equal(root?.children[0]?.text, 'x');
});

test('CRLF and lone CR line ends count as one line each; a BOM is not a column', () => {
  const { root } = parse('\uFEFF<a>\r\n <b/>\r <c/>\n</a>');
  assert.equal(at(root), '1:1');
  assert.equal(at(root?.children[0]), '2:2');
  assert.equal(at(root?.children[1]), '3:2');
});

test('comments are skipped, CDATA is text, predefined and numeric entities are decoded', () => {
  const { root, diags } = parse('<a><b>x <!-- no --> &amp; &lt;y&gt; &#65;&#x42; <![CDATA[<&amp;>]]></b></a>');
  assert.deepEqual(diags.all, []);
  assert.equal(root?.children[0]?.text, 'x  & <y> AB <&amp;>');
});

test('an unknown entity is an error naming it, at its element', () => {
  const { diags } = parse('<a>\n  <b>&nbsp;</b>\n</a>');
  assert.deepEqual(
    diags.all.map((d) => [d.code, d.position?.line, d.position?.column, d.message]),
    [['GW_ERR_CONFIG_XML', 2, 3, 'Unknown entity &nbsp; in <b>']],
  );
});

test('attributes are kept and decoded', () => {
  const { root } = parse('<a xmlns="urn:x" k="1 &amp; 2"/>');
  assert.equal(root?.attributes.get('xmlns'), 'urn:x');
  assert.equal(root?.attributes.get('k'), '1 & 2');
});

test('malformed XML gives one GW_ERR_CONFIG_XML at the line and column where it breaks', () => {
  const { root, diags } = parse('<a>\n  <b></c>\n</a>');
  assert.equal(root, undefined);
  const [d] = diags.all;
  assert.equal(diags.all.length, 1);
  assert.equal(d?.code, 'GW_ERR_CONFIG_XML');
  assert.equal(d?.position?.line, 2);
  assert.equal(d?.position?.column, 6);
  assert.equal(d?.message, 'Not well-formed XML: </c> does not close <b>, which is open since 2:3');
});

test('empty text, a DOCTYPE and a second root element are refused', () => {
  assert.match(parse('  \n').diags.all[0]?.message ?? '', /empty/);
  const doctype = parse('<!-- <!DOCTYPE in a comment is fine --><!DOCTYPE a [<!ENTITY e "x">]>\n<a>&e;</a>');
  assert.equal(doctype.root, undefined);
  assert.equal(doctype.diags.all[0]?.code, 'GW_ERR_CONFIG_XML');
  assert.match(doctype.diags.all[0]?.message ?? '', /DOCTYPE/);
  assert.equal(doctype.diags.all[0]?.position?.column, 40);
  const two = parse('<a/>\n<b/>');
  assert.deepEqual(two.diags.all.map((d) => [d.code, d.position?.line]), [['GW_ERR_CONFIG_XML', 2]]);
});

test('LineIndex maps offsets to positions', () => {
  const index = new LineIndex('ab\ncd\r\nef');
  assert.deepEqual(index.position('f', 0), { file: 'f', line: 1, column: 1 });
  assert.deepEqual(index.position('f', 4), { file: 'f', line: 2, column: 2 });
  assert.deepEqual(index.position('f', 7), { file: 'f', line: 3, column: 1 });
});

test('decodeEntities reports the first unknown entity and leaves it in place', () => {
  assert.deepEqual(decodeEntities('&foo; &amp; &bar;'), { text: '&foo; & &bar;', unknown: '&foo;' });
  assert.deepEqual(decodeEntities('&#0;').unknown, '&#0;');
});

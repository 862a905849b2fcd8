import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConfigText } from '../../../src/config/encoding.js';

const XML = '<?xml version="1.0"?>\n<gateway-config><name>café ☕</name></gateway-config>\n';
const text = (bytes: Buffer) => {
  const decoded = decodeConfigText(bytes);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.message);
  return decoded.text;
};

test('UTF-8 with or without its byte order mark, and UTF-16 either way round, with or without one', () => {
  assert.equal(text(Buffer.from(XML)), XML);
  assert.equal(text(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(XML)])), XML);
  const le = Buffer.from(XML, 'utf16le');
  const be = Buffer.from(le).swap16();
  assert.equal(text(Buffer.concat([Buffer.from([0xff, 0xfe]), le])), XML);
  assert.equal(text(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), XML);
  assert.equal(text(le), XML);
  assert.equal(text(be), XML);
});

test('the encoding an XML declaration names', () => {
  const latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<name>café \u0085</name>';
  // ISO-8859-1 as Java reads it: 0x85 is U+0085, where the web's windows-1252 would read an ellipsis.
  assert.equal(text(Buffer.from(latin1, 'latin1')), latin1);
  const ascii = decodeConfigText(Buffer.from('<?xml version="1.0" encoding="US-ASCII"?>\n<name>café</name>'));
  assert.equal(ascii.ok ? '' : ascii.message, 'the configuration file is not text in the encoding its XML declaration names (US-ASCII): it holds bytes beyond ASCII');
  // Java's other names for the two.
  assert.equal(decodeConfigText(Buffer.from('<?xml version="1.0" encoding="ANSI_X3.4-1968"?><a>é</a>')).ok, false);
  assert.equal(text(Buffer.from('<?xml version="1.0" encoding="ISO-IR-100"?><a>\u0085</a>', 'latin1')), '<?xml version="1.0" encoding="ISO-IR-100"?><a>\u0085</a>');
  const refused = decodeConfigText(Buffer.from('<?xml version="1.0" encoding="x-no-such"?><a/>'));
  assert.deepEqual(refused, { ok: false, message: 'the configuration file declares encoding="x-no-such", which this gateway cannot read', hint: 'save it as UTF-8 (and declare encoding="UTF-8")' });
});

test('bytes that are not text are refused with what was expected, not read as replacement characters', () => {
  const latin1Undeclared = decodeConfigText(Buffer.from('<?xml version="1.0"?><name>café</name>', 'latin1'));
  assert.equal(latin1Undeclared.ok, false);
  assert.match(latin1Undeclared.ok ? '' : latin1Undeclared.message, /^the configuration file is not text in UTF-8$/);
  const binary = decodeConfigText(Buffer.from([0xce, 0xce, 0xce, 0xce, 0x00, 0x00, 0x00, 0x02]));
  assert.deepEqual(binary.ok ? undefined : binary.message, 'the configuration file is not text: it holds NUL bytes');
  const badUtf16 = decodeConfigText(Buffer.from([0xff, 0xfe, 0x3c, 0x00, 0x00, 0xd8]));
  assert.equal(badUtf16.ok ? '' : badUtf16.message, 'the configuration file is not text in UTF-16LE');
});

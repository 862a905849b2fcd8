/**
 * The text of a configuration file from its bytes, as an XML parser finds its encoding (XML 1.0, appendix F): a byte
 * order mark (UTF-8, UTF-16), else `<?xml` written in UTF-16, else the XML declaration's `encoding`, else UTF-8.
 * Kaazing read its configuration with Java's XML parser, which does the same, so a file saved as UTF-16 by a Windows
 * editor, or declared ISO-8859-1, reads as it did there. Bytes that are not text in the encoding found are refused
 * with what was expected, rather than read as replacement characters.
 */

import { TextDecoder } from 'node:util';

export type DecodedText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string; readonly hint: string };

const DECLARED = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

export function decodeConfigText(bytes: Buffer): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return strict('utf-8', bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return strict('utf-16le', bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return strict('utf-16be', bytes.subarray(2));
  // `<?` in UTF-16 without a byte order mark.
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) return strict('utf-16le', bytes);
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) return strict('utf-16be', bytes);
  if (bytes.includes(0)) {
    return { ok: false, message: 'the configuration file is not text: it holds NUL bytes', hint: 'is it a keystore or another binary file? name the gateway-config.xml with -c' };
  }
  const declared = DECLARED.exec(bytes.subarray(0, 200).toString('latin1'))?.[1];
  return strict(declared ?? 'utf-8', bytes, declared !== undefined);
}

/**
 * Labels read here as Java reads them: the web's TextDecoder takes ISO-8859-1 and US-ASCII for windows-1252, which
 * reads bytes 0x80–0x9F as other characters, and a non-ASCII byte of a US-ASCII file without complaint.
 */
const LATIN1 = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'iso_8859-1:1987', 'iso8859_1', 'iso-ir-100', 'csisolatin1', 'latin1', 'l1', 'cp819', 'ibm819', 'ibm-819']);
const ASCII = new Set(['us-ascii', 'ascii', 'iso646-us', 'ansi_x3.4-1968', 'ansi_x3.4-1986', 'iso-ir-6', 'iso_646.irv:1991', 'cp367', 'ibm367', 'csascii', 'us', 'default']);

function strict(encoding: string, bytes: Buffer, declared = false): DecodedText {
  const label = encoding.toLowerCase();
  if (LATIN1.has(label)) return { ok: true, text: bytes.toString('latin1') };
  if (ASCII.has(label)) {
    if (!bytes.some((b) => b > 0x7f)) return { ok: true, text: bytes.toString('latin1') };
    return { ok: false, message: `the configuration file is not text in the encoding its XML declaration names (${encoding}): it holds bytes beyond ASCII`, hint: 'save it as UTF-8 with encoding="UTF-8", or declare the encoding it is in' };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch {
    return { ok: false, message: `the configuration file declares encoding="${encoding}", which this gateway cannot read`, hint: 'save it as UTF-8 (and declare encoding="UTF-8")' };
  }
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    const what = declared ? `the encoding its XML declaration names (${encoding})` : decoder.encoding === 'utf-8' ? 'UTF-8' : decoder.encoding.toUpperCase();
    return {
      ok: false,
      message: `the configuration file is not text in ${what}`,
      hint: declared ? 'save it in that encoding, or as UTF-8 with encoding="UTF-8"' : 'save it as UTF-8, or name its encoding in the XML declaration: <?xml version="1.0" encoding="ISO-8859-1"?>',
    };
  }
}

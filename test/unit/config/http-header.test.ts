import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { forbiddenCharacter, parseHttpHeader } from '../../../src/config/http-header.js';
import type { HttpHeaderConfig, TemplatePart } from '../../../src/config/types.js';
import { config, doc, parse, proxy, where } from '../../helpers/config.js';

const AT = { file: 'conf/gateway-config.xml', line: 3, column: 5 };

/** Options start on line 8, column 7. */
const withHeaders = (...headers: string[]): string =>
  doc(...proxy('p', 'ws://h:80/', 'ws://backend:8080/', ['    <connect-options>', ...headers.map((h) => `      <http.header>${h}</http.header>`), '    </connect-options>']));

function read(text: string): { header: HttpHeaderConfig | undefined; diags: Diagnostics } {
  const diags = new Diagnostics();
  return { header: parseHttpHeader(text, AT, diags), diags };
}

function parts(text: string): readonly TemplatePart[] {
  const { header, diags } = read(text);
  assert.deepEqual(diags.all, [], text);
  assert.ok(header);
  return header.parts;
}

function problem(text: string): { code: string; message: string; hint: string | undefined } {
  const { header, diags } = read(text);
  assert.equal(header, undefined, text);
  const [d] = diags.all;
  assert.ok(d, text);
  assert.equal(diags.all.length, 1);
  assert.deepEqual(d.position, AT);
  return { code: d.code, message: d.message, hint: d.hint };
}

test('a template is read into literal text and variables, in order', () => {
  assert.deepEqual(parts('clientId: {ssl.client.CN}'), [{ kind: 'attribute', attribute: 'CN' }]);
  assert.deepEqual(parts('X-Client: {client.address}:{client.port} via {sni}'), [
    { kind: 'variable', variable: 'client.address' },
    { kind: 'text', text: ':' },
    { kind: 'variable', variable: 'client.port' },
    { kind: 'text', text: ' via ' },
    { kind: 'variable', variable: 'sni' },
  ]);
  assert.deepEqual(parts('X-Static: gateway-1'), [{ kind: 'text', text: 'gateway-1' }]);
  assert.deepEqual(parts('X-Empty:'), []);
  for (const variable of ['ssl.client.subject', 'ssl.client.fingerprint', 'ssl.client.serial', 'ssl.client.verified', 'ssl.client.cert', 'ssl.client.chain'] as const) {
    assert.deepEqual(parts(`X-V: {${variable}}`), [{ kind: 'variable', variable }]);
  }
});

test('the name is split at the first colon; the template keeps later colons and loses surrounding space', () => {
  const { header } = read('  Client-Cert :  :{ssl.client.cert}:  ');
  assert.equal(header?.name, 'Client-Cert');
  assert.equal(header?.template, ':{ssl.client.cert}:');
  assert.deepEqual(header?.parts, [{ kind: 'text', text: ':' }, { kind: 'variable', variable: 'ssl.client.cert' }, { kind: 'text', text: ':' }]);
});

test('{{ is a literal brace; a lone } is literal; space inside the braces is allowed', () => {
  assert.deepEqual(parts('X-J: {{"cn": "{ ssl.client.CN }"}'), [
    { kind: 'text', text: '{"cn": "' },
    { kind: 'attribute', attribute: 'CN' },
    { kind: 'text', text: '"}' },
  ]);
  assert.deepEqual(parts('X-B: a}b{{'), [{ kind: 'text', text: 'a}b{' }]);
});

test('subject attributes are read in any case and by OpenSSL names, as the keyword the gateway prints', () => {
  const cases: [string, string][] = [
    ['cn', 'CN'],
    ['commonName', 'CN'],
    ['Ou', 'OU'],
    ['O', 'O'],
    ['L', 'L'],
    ['ST', 'ST'],
    ['C', 'C'],
    ['emailAddress', 'EMAILADDRESS'],
    ['E', 'EMAILADDRESS'],
    ['DC', 'DC'],
    ['UID', 'UID'],
    ['userId', 'UID'],
    ['serialNumber', 'SERIALNUMBER'],
    ['title', 'T'],
    ['SN', 'SURNAME'],
    ['givenName', 'GIVENNAME'],
    ['dnQualifier', 'DNQ'],
  ];
  for (const [written, keyword] of cases) {
    assert.deepEqual(parts(`X-A: {ssl.client.${written}}`), [{ kind: 'attribute', attribute: keyword }], written);
  }
});

test('an attribute name no certificate the gateway reads can carry is a warning, with a did-you-mean', () => {
  const { header, diags } = read('X-A: {ssl.client.OUs}{ssl.client.pseudonym}');
  assert.deepEqual(header?.parts, [
    { kind: 'attribute', attribute: 'OUS' },
    { kind: 'attribute', attribute: 'PSEUDONYM' },
  ]);
  assert.deepEqual(
    diags.all.map((d) => [d.severity, d.code, d.hint]),
    [
      ['warning', 'GW_ERR_CONFIG_WARNING', 'did you mean {ssl.client.OU}?'],
      ['warning', 'GW_ERR_CONFIG_WARNING', undefined],
    ],
  );
  assert.match(diags.all[0]?.message ?? '', /\{ssl\.client\.OUs\} names no subject attribute the gateway reads \(CN, OU, .*\): it will always be empty/);
});

test('unknown variables are errors with a did-you-mean where one is near', () => {
  const cases: [string, string | undefined][] = [
    ['{client.addres}', 'did you mean {client.address}?'],
    ['{client.Port}', 'did you mean {client.port}?'],
    ['{SNI}', 'did you mean {sni}?'],
    ['{ssl.clinet.CN}', 'did you mean {ssl.client.CN}?'],
    ['{ssl.client.fingerprnt}', 'did you mean {ssl.client.fingerprint}?'],
    ['{ssl.client.Serial}', 'did you mean {ssl.client.serial}?'],
    ['{ssl.client.CERT}', 'did you mean {ssl.client.cert}?'],
    ['{ssl.client.chains}', 'did you mean {ssl.client.chain}?'],
    ['{ssl.client.FINGERPRNT}', 'did you mean {ssl.client.fingerprint}?'],
    ['{ssl.client.CN.x}', 'did you mean {ssl.client.CN}?'],
    ['{remote_addr}', undefined],
  ];
  for (const [template, hint] of cases) {
    const p = problem(`X-A: ${template}`);
    assert.equal(p.code, 'GW_ERR_CONFIG_VALUE', template);
    assert.equal(p.message, `<http.header> X-A: unknown variable ${template}`);
    if (hint !== undefined) assert.equal(p.hint, hint, template);
    else assert.match(p.hint ?? '', /^the variables are \{client\.address\}, .*\{ssl\.client\.<attribute>\}/, template);
  }
  assert.equal(problem('X-A: {ssl.client}').hint, 'for example {ssl.client.CN} or {ssl.client.subject}');
});

test('an unclosed or empty variable is an error naming where it starts', () => {
  assert.deepEqual(problem('X-A: id={ssl.client.CN'), {
    code: 'GW_ERR_CONFIG_VALUE',
    message: '<http.header> X-A: unclosed "{" at character 4 of the template',
    hint: 'close the variable with "}", or write "{{" for a literal "{"',
  });
  assert.equal(problem('X-A: {client.address {sni}').message, '<http.header> X-A: unclosed "{" at character 1 of the template');
  assert.deepEqual(problem('X-A: a{}'), {
    code: 'GW_ERR_CONFIG_VALUE',
    message: '<http.header> X-A: empty variable "{}" at character 2 of the template',
    hint: 'for example {ssl.client.CN}; write "{{" for a literal "{"',
  });
  assert.equal(problem('X-A: { }').code, 'GW_ERR_CONFIG_VALUE');
});

test('a control character in the literal text is refused', () => {
  for (const bad of ['a\nb', 'a\rb', 'a\u0000b', 'a\u007fb', 'a\u0085b']) {
    assert.match(problem(`X-A: ${bad}`).message, /^<http\.header> X-A: the template holds the control character U\+00[0-9A-F]{2}, which a header value cannot carry$/);
  }
  assert.deepEqual(parts('X-A: a\tb ü 设备'), [{ kind: 'text', text: 'a\tb ü 设备' }]);
});

test('names the gateway controls are refused, in any case', () => {
  for (const name of ['Host', 'connection', 'UPGRADE', 'Content-Length', 'Transfer-Encoding', 'Sec-WebSocket-Key', 'sec-websocket-protocol', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Version', 'Sec-WebSocket-Accept', 'Keep-Alive', 'TE', 'Trailer', 'Proxy-Authorization']) {
    const p = problem(`${name}: x`);
    assert.equal(p.code, 'GW_ERR_CONFIG_VALUE');
    assert.match(p.message, new RegExp(`^<http\\.header> may not set ${name}: `), name);
  }
  assert.ok(read('X-Host: x').header);
  assert.ok(read('Sec-Other: x').header);
});

test('a missing colon or a name that is not a token is refused', () => {
  assert.match(problem('clientId {ssl.client.CN}').message, /expected NAME: TEMPLATE/);
  assert.match(problem('client id: x').message, /^Invalid <http\.header> name "client id"/);
  assert.match(problem(': x').message, /^Invalid <http\.header> name ""/);
});

test('in a file: every problem at its option line and column; the same name twice is a duplicate', () => {
  const r = parse(withHeaders('clientId: {ssl.client.CN}', 'X-Bad: {ssl.client.CN', 'CLIENTID: {ssl.client.OU}', 'Host: x', 'X-Typo: {client.adress}', 'X-Ok: {sni}', 'x-ok: again'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_DUPLICATE 10:7', 'error GW_ERR_CONFIG_VALUE 11:7', 'error GW_ERR_CONFIG_VALUE 12:7', 'error GW_ERR_CONFIG_DUPLICATE 14:7']);
  assert.match(r.diagnostics[1]?.message ?? '', /^<http\.header> CLIENTID is given twice \(first at line 8:7\)/);
  assert.equal(r.diagnostics[3]?.hint, 'did you mean {client.address}?');
});

test('in a file: headers reach the connect options in document order, parsed and frozen', () => {
  const c = config(parse(withHeaders('clientId: {ssl.client.CN}', 'X-Client-IP: {client.address}', 'Client-Cert: {ssl.client.cert}')));
  const headers = c.services[0]?.connectOptions.httpHeaders ?? [];
  assert.deepEqual(
    headers.map((h) => [h.name, h.template, h.parts, h.position.line, h.position.column]),
    [
      ['clientId', '{ssl.client.CN}', [{ kind: 'attribute', attribute: 'CN' }], 8, 7],
      ['X-Client-IP', '{client.address}', [{ kind: 'variable', variable: 'client.address' }], 9, 7],
      ['Client-Cert', '{ssl.client.cert}', [{ kind: 'variable', variable: 'ssl.client.cert' }], 10, 7],
    ],
  );
  assert.ok(Object.isFrozen(headers[0]?.parts));
});

test('a ${} property in a template is substituted first; one that does not resolve is reported once', () => {
  const ok = config(parse(withHeaders('X-Site: ${site}-{sni}'), { defines: { site: 'eu-1' } }));
  assert.deepEqual(ok.services[0]?.connectOptions.httpHeaders[0]?.parts, [{ kind: 'text', text: 'eu-1-' }, { kind: 'variable', variable: 'sni' }]);
  const r = parse(withHeaders('X-Site: ${ssl.client.CN}'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_PROPERTY 8:7']);
});

test('forbiddenCharacter finds C0 controls, DEL and C1 controls, and nothing else', () => {
  assert.equal(forbiddenCharacter('a\tb c~\u00a0ÿ設'), undefined);
  for (const c of [0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x7f, 0x80, 0x9f]) assert.equal(forbiddenCharacter(`x${String.fromCharCode(c)}`), c);
});

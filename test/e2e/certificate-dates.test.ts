/**
 * Certificates past or near the end of their validity: `check`, `start` and every reload that loads the stores warn
 * about them (GW_ERR_TLS_WARNING), naming the store, the entry and the date. Nothing is refused for it, except a
 * reload that would put a certificate no client accepts in place of a valid one; handshakes add no warnings of their own.
 */
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { GatewayProcess, runGateway, type LogLine } from '../helpers/gateway-process.js';
import { workspace } from '../helpers/e2e-setup.js';
import { issue, testPki } from '../helpers/pki.js';
import { WAIT_MS, event, withDeadline } from '../helpers/deadline.js';

const pki = testPki();
const serverCertificate = (notBeforeDays: number, notAfterDays: number) =>
  issue({ subject: { CN: 'localhost', O: 'Acme' }, sans: ['DNS:localhost', 'IP:127.0.0.1'], issuer: pki.ca, usage: 'server', keyType: 'ec', notBeforeDays, notAfterDays });
const iso = (date: string): string => new Date(date).toISOString();
/** The serial number of the certificate a wss:// client was served. */
const servedTo = (ws: WebSocket) => (ws as unknown as { _socket: TLSSocket })._socket.getPeerX509Certificate()?.serialNumber;
const isDateWarning = (l: LogLine): boolean => l['code'] === 'GW_ERR_TLS_WARNING';

/** Opens a wss:// client with `options`, proves the path with one echo and closes it; 'error' when TLS fails. */
async function echoOnce(url: string, options: object): Promise<'echoed' | 'error'> {
  const ws = new WebSocket(url, options);
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
  });
  if (!(await withDeadline(opened, WAIT_MS, `${url} to open or fail`))) return 'error';
  const reply = event<[Buffer]>(ws, 'message', 'the echo');
  ws.send('hello');
  assert.equal(String((await reply)[0]), 'hello');
  const closed = event(ws, 'close', 'the client to close');
  ws.close();
  await closed;
  return 'echoed';
}

/** `openssl s_client` checking the server's certificate against `caFile`, as devices do: it fails, with an alert. */
async function refusingClient(port: number, caFile: string): Promise<void> {
  await withDeadline(
    new Promise<void>((resolve) => {
      const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_return_error'], () => resolve());
      child.stdin?.end();
    }),
    WAIT_MS,
    'openssl s_client to give up',
  );
}

describe('certificates past or near their dates', () => {
  const space = workspace();
  after(() => space.cleanup());
  const ECHO = 'wss://127.0.0.1:0/echo';
  const echoService = (verifyClient: string) => `
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>${verifyClient}</ssl.verify-client></accept-options>
  </service>`;

  test('check warns about an expired server certificate and truststore CA at their stores, and the file is still valid', async () => {
    const expired = serverCertificate(-400, -30);
    const retired = issue({ subject: { CN: 'Retired CA', O: 'Acme' }, isCA: true, keyType: 'ec', notBeforeDays: -3000, notAfterDays: -2 });
    const keystore = space.write('expired-server.pem', expired.key + expired.cert + pki.ca.cert);
    const truststore = space.write('retired-ca.pem', pki.ca.cert + retired.cert);
    const file = space.config(
      `${echoService('required')}
  <security>
    <keystore><type>PEM</type><file>expired-server.pem</file></keystore>
    <truststore><type>PEM</type><file>retired-ca.pem</file></truststore>
  </security>`,
      'dates.xml',
    );
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /dates\.xml: valid \(1 service\)/);
    assert.match(r.stdout, new RegExp(`\\n {6}served with keystore entry "key-1" \\(CN=localhost, O=Acme, issued by CN=Test Root CA, O=Acme, serial ${expired.x509.serialNumber}, valid to ${iso(expired.x509.validTo)}\\)\\n`));
    const warnings = r.stdout.split('\n').filter((l) => l.includes('warning GW_ERR_TLS_WARNING'));
    assert.deepEqual(warnings, [
      `${file}:11:5: warning GW_ERR_TLS_WARNING: keystore "${keystore}" entry "key-1" (CN=localhost, O=Acme), the server certificate of ${ECHO}, ` +
        `expired at ${iso(expired.x509.validTo)}: peers that check it refuse it (CERT_HAS_EXPIRED), so those handshakes fail; renew it and replace the entry`,
      `${file}:12:5: warning GW_ERR_TLS_WARNING: truststore "${truststore}" certificate "cert-2" (CN=Retired CA, O=Acme) expired at ${iso(retired.x509.validTo)}: ` +
        "every certificate that chains to it is refused (CERT_HAS_EXPIRED); install the CA's renewed certificate, or remove it",
    ]);

    // Without ssl.verify-client (and no TLS connect) nothing checks certificates against the truststore.
    const unused = await runGateway(['check', '--config', space.config(`${echoService('none')}
  <security>
    <keystore><type>PEM</type><file>server.pem</file></keystore>
    <truststore><type>PEM</type><file>retired-ca.pem</file></truststore>
  </security>`, 'unused-truststore.xml')]);
    assert.equal(unused.code, 0, unused.stdout + unused.stderr);
    assert.doesNotMatch(unused.stdout, /GW_ERR_TLS_WARNING/);
  });

  test('start warns once, handshakes add no warning, and a reload that brings in a certificate about to expire warns about it', async (t) => {
    const expired = serverCertificate(-400, -30);
    const keystore = space.write('server-dates.pem', expired.key + expired.cert + pki.ca.cert);
    const gw = await GatewayProcess.start(
      space.config(`${echoService('none')}
  <security><keystore><type>PEM</type><file>server-dates.pem</file></keystore></security>`, 'start-dates.xml'),
    );
    t.after(() => gw.stop());
    const atStart = gw.lines.filter(isDateWarning);
    assert.equal(atStart.length, 1, atStart.map((l) => l.msg).join('\n'));
    assert.match(atStart[0]?.msg ?? '', new RegExp(`keystore "${keystore}" entry "key-1" \\(CN=localhost, O=Acme\\), the server certificate of .*, expired at ${iso(expired.x509.validTo)}: `));

    const served = gw.lines.filter((l) => l['event'] === 'certificate');
    assert.deepEqual(
      served.map((l) => [l['host'], l['alias'], l['serial']]),
      [['127.0.0.1', 'key-1', expired.x509.serialNumber]],
    );
    assert.match(String(served[0]?.msg), /^ {2}127\.0\.0\.1 on 127\.0\.0\.1:0: keystore entry "key-1" \(CN=localhost, O=Acme, issued by CN=Test Root CA, O=Acme, /);

    const url = `wss://127.0.0.1:${gw.port(ECHO)}/echo`;
    assert.equal(await echoOnce(url, { ca: pki.ca.cert }), 'error', 'a client that checks the certificate refuses it');
    // A client that checks it during the handshake (OpenSSL's, as Python, curl and devices use) ends it with an
    // alert: the gateway's log names the entry it served.
    const refusal = gw.waitFor((l) => l['code'] === 'GW_ERR_TLS_HANDSHAKE' && l['reason'] === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED');
    await refusingClient(gw.port(ECHO), space.write('dates-ca.pem', pki.ca.cert));
    const line = await refusal;
    assert.match(String(line['hint']), /^the client refused the gateway's certificate \(it found it expired \(or its own clock is wrong\)\): this address serves keystore entry "key-1" \(CN=localhost, O=Acme, /);
    assert.equal(await echoOnce(url, { rejectUnauthorized: false }), 'echoed', 'the expired certificate is still served');
    assert.equal(await echoOnce(url, { rejectUnauthorized: false }), 'echoed');
    assert.equal(gw.lines.filter(isDateWarning).length, 1, 'no warning per connection');

    const from = gw.lines.length;
    const reloaded = gw.waitFor((l) => l.msg === 'Reloaded the configuration' && gw.lines.indexOf(l) >= from);
    const soon = serverCertificate(-355, 10);
    space.write('server-dates.pem', soon.key + soon.cert + pki.ca.cert);
    await reloaded;
    const onReload = gw.lines.slice(from).filter(isDateWarning);
    assert.equal(onReload.length, 1, onReload.map((l) => l.msg).join('\n'));
    assert.match(onReload[0]?.msg ?? '', new RegExp(`entry "key-1" \\(CN=localhost, O=Acme\\), the server certificate of .*, expires at ${iso(soon.x509.validTo)}, in 9 days: `));
    const renewed = gw.lines.slice(from).filter((l) => l['event'] === 'certificate');
    assert.equal(renewed.length, 1, 'the renewal is said once');
    assert.match(String(renewed[0]?.msg), new RegExp(`keystore entry "key-1" \\(.*serial ${soon.x509.serialNumber}, .*\\) in place of entry "key-1" \\(serial ${expired.x509.serialNumber}\\)$`));
    assert.equal(await echoOnce(url, { ca: pki.ca.cert }), 'echoed', 'the renewed certificate is served');

    // An expired copy put back over the valid certificate: the reload is refused and the valid one stays.
    const back = gw.lines.length;
    const refused = gw.waitFor((l) => String(l.msg).startsWith('Reload failed') && gw.lines.indexOf(l) >= back);
    space.write('server-dates.pem', expired.key + expired.cert + pki.ca.cert);
    const failure = await refused;
    const problem = gw.lines.slice(back).find((l) => l['code'] === 'GW_ERR_RELOAD');
    assert.match(
      String(problem?.msg ?? failure.msg),
      new RegExp(`the reload would serve 127\\.0\\.0\\.1 on .* with keystore entry "key-1" \\(CN=localhost, O=Acme\\), which expired at ${iso(expired.x509.validTo)}, in place of entry "key-1", valid to ${iso(soon.x509.validTo)}: every client would refuse it`),
    );
    assert.equal(await echoOnce(url, { ca: pki.ca.cert }), 'echoed', 'the valid certificate is still served');

    // A self-signed key pair in its place (a keystore renewed in place, before the CA's reply is imported): refused too.
    const placeholder = issue({ subject: { CN: 'localhost', O: 'Acme' }, sans: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'server', keyType: 'ec' });
    const at = gw.lines.length;
    const refusedAgain = gw.waitFor((l) => String(l.msg).startsWith('Reload failed') && gw.lines.indexOf(l) >= at);
    space.write('server-dates.pem', placeholder.key + placeholder.cert);
    const again = await refusedAgain;
    const selfSigned = gw.lines.slice(at).find((l) => l['code'] === 'GW_ERR_RELOAD');
    assert.match(
      String(selfSigned?.msg ?? again.msg),
      /the reload would serve 127\.0\.0\.1 on .* with keystore entry "key-1" \(CN=localhost, O=Acme\), which is self-signed, in place of entry "key-1", issued by CN=Test Root CA, O=Acme: every client that checks the gateway's certificate would refuse it/,
    );
    assert.equal(await echoOnce(url, { ca: pki.ca.cert }), 'echoed', 'the certificate the CA issued is still served');
  });

  test('a renewal imported before its start date is served from that date, without a reload; open connections keep theirs', async (t) => {
    const current = serverCertificate(-30, 300);
    // Valid six seconds from now (a certificate's dates are whole seconds: five to six), time for the gateway to
    // start, and lasting longer than the current one.
    const renewal = serverCertificate(6 / 86_400, 600);
    space.write('server-renewal.pem', current.key + current.cert + renewal.key + renewal.cert + pki.ca.cert);
    const gw = await GatewayProcess.start(
      space.config(`${echoService('none')}
  <security><keystore><type>PEM</type><file>server-renewal.pem</file></keystore></security>`, 'start-renewal.xml'),
    );
    t.after(() => gw.stop());
    if (Date.now() >= Date.parse(renewal.x509.validFrom)) return t.skip('the gateway took longer to start than the renewal waited');
    assert.deepEqual(
      gw.lines.filter((l) => l['event'] === 'certificate').map((l) => [l['alias'], l['serial']]),
      [['key-1', current.x509.serialNumber]],
      'the renewal is not valid yet',
    );
    const upcoming = gw.lines.filter((l) => l['event'] === 'certificate-upcoming');
    assert.deepEqual(upcoming.map((l) => [l['alias'], l['serial'], l['validFrom']]), [['key-2', renewal.x509.serialNumber, iso(renewal.x509.validFrom)]], 'the renewal waiting is said');
    assert.match(String(upcoming[0]?.msg), new RegExp(`keystore entry "key-2" .* is served from ${iso(renewal.x509.validFrom)}, when it becomes valid$`));
    const url = `wss://127.0.0.1:${gw.port(ECHO)}/echo`;
    const open = new WebSocket(url, { ca: pki.ca.cert });
    await event(open, 'open', 'a connection before the renewal starts');
    assert.equal(servedTo(open), current.x509.serialNumber);

    const line = await gw.waitFor((l) => l['event'] === 'certificate' && l['alias'] === 'key-2');
    assert.equal(line['serial'], renewal.x509.serialNumber);
    assert.match(String(line.msg), new RegExp(`in place of entry "key-1" \\(serial ${current.x509.serialNumber}\\): a certificate of the keystore has become valid, or the one served has ended$`));
    assert.ok(Date.now() >= Date.parse(renewal.x509.validFrom), 'not before its start');
    const next = new WebSocket(url, { ca: pki.ca.cert });
    await event(next, 'open', 'a connection after the renewal starts');
    assert.equal(servedTo(next), renewal.x509.serialNumber, 'new connections get the renewal');
    next.close();
    const reply = event<[Buffer]>(open, 'message', 'the echo on the connection opened before');
    open.send('still here');
    assert.equal(String((await reply)[0]), 'still here');
    open.close();
  });

  test('a certificate that expires while served stays served when the keystore holds no valid one in its place', async (t) => {
    const ending = serverCertificate(-30, 6 / 86_400);
    const older = serverCertificate(-400, -30);
    // The older one first: among certificates none of which is valid, the keystore's order would choose it.
    space.write('server-ending.pem', older.key + older.cert + ending.key + ending.cert + pki.ca.cert);
    const gw = await GatewayProcess.start(
      space.config(`${echoService('none')}
  <security><keystore><type>PEM</type><file>server-ending.pem</file></keystore></security>`, 'start-ending.xml'),
      ['--log-level', 'debug'],
    );
    t.after(() => gw.stop());
    if (Date.now() > Date.parse(ending.x509.validTo)) return t.skip('the gateway took longer to start than the certificate lasted');
    await gw.waitFor((l) => String(l.msg).startsWith('a certificate of the keystore started or ended its validity'));
    assert.ok(Date.now() > Date.parse(ending.x509.validTo), 'looked again once it had ended');
    assert.deepEqual(
      gw.lines.filter((l) => l['event'] === 'certificate').map((l) => l['alias']),
      ['key-2'],
      'no other expired certificate is put in its place',
    );
    const ws = new WebSocket(`wss://127.0.0.1:${gw.port(ECHO)}/echo`, { rejectUnauthorized: false });
    await event(ws, 'open', 'a connection after it ended');
    assert.equal(servedTo(ws), ending.x509.serialNumber);
    ws.close();
  });
});

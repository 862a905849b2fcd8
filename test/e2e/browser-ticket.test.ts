/**
 * The iOS case in a real browser: headless Chromium presents device-1's certificate to an https:// page, whose
 * certificate-ticket realm sets a ticket cookie; the page's script then opens a WebSocket to another port that
 * asks for no certificate, so the browser sends none, and the upgrade (from the page's origin, which the service
 * allows) is admitted on the cookie alone, as device-1 (path-identity and the log see that identity).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkipReason, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { testPki } from '../helpers/pki.js';
import { freePorts } from '../helpers/tcp-servers.js';
import { WAIT_MS } from '../helpers/deadline.js';

const SECRET = '3b9d41c6'.repeat(8);

/** Opens a WebSocket to the other port (given in the query) and shows what came back, or that it failed. */
const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ticket</title></head>
<body><p id="status">loading</p>
<script>
  const port = new URLSearchParams(location.search).get('ws');
  const ws = new WebSocket('wss://' + location.hostname + ':' + port + '/ios/device-1');
  ws.onopen = () => ws.send('hello without a certificate');
  ws.onmessage = (e) => { window.echoed = e.data; ws.close(); };
  ws.onerror = () => { window.echoed = 'error'; };
</script></body></html>
`;

const skip = browserSkipReason({ clientCertificate: true });

describe('a browser admitted on a WebSocket without a certificate by the ticket its page load set', { skip: skip ?? false }, () => {
  const pki = testPki();
  let space: Workspace;
  let gw: GatewayProcess;
  let browser: LaunchedBrowser;
  let pagesPort: number;
  let wsPort: number;

  before(async () => {
    space = workspace();
    [pagesPort, wsPort] = (await freePorts(2)) as [number, number];
    for (const d of ['conf', 'web/app']) mkdirSync(join(space.dir, d), { recursive: true });
    space.write('web/app/index.html', PAGE);
    space.write('conf/ticket.secret', `${SECRET}\n`);
    const config = space.config(
      `
  <service>
    <name>pages</name>
    <accept>https://localhost:${pagesPort}/</accept>
    <type>directory</type>
    <properties><directory>/app</directory><welcome-file>index.html</welcome-file></properties>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
    <realm-name>ios</realm-name>
  </service>
  <service>
    <name>ios</name>
    <accept>wss://localhost:${wsPort}/ios</accept>
    <type>echo</type>
    <realm-name>ios</realm-name>
    <cross-site-constraint><allow-origin>https://localhost:${pagesPort}</allow-origin></cross-site-constraint>
    <access-constraint><path-identity>CN</path-identity></access-constraint>
  </service>
  <security>
    <keystore><type>PEM</type><file>../server.pem</file></keystore>
    <truststore><type>PEM</type><file>../ca.pem</file></truststore>
    <realm>
      <name>ios</name>
      <authentication>
        <http-cookie>TICKET</http-cookie>
        <login-modules>
          <login-module><type>certificate-ticket</type><success>required</success><options><secret-file>ticket.secret</secret-file><max-age>1 hour</max-age></options></login-module>
        </login-modules>
      </authentication>
    </realm>
  </security>`,
      'conf/gateway-config.xml',
    );
    gw = await GatewayProcess.start(config);
    browser = await launchBrowser({ trustedCa: pki.ca.cert, clientCertificate: { cert: pki.client.cert, key: pki.client.key } });
  });

  after(async () => {
    await browser?.cleanup();
    await gw?.stop();
    space?.cleanup();
  });

  test('the page load with a certificate sets the ticket; the WebSocket without one is admitted by it, as device-1', async () => {
    const response = await browser.page.goto(`https://localhost:${pagesPort}/?ws=${wsPort}`, { timeout: WAIT_MS });
    assert.equal(response?.status(), 200);
    assert.match((await response?.allHeaders())?.['set-cookie'] ?? '', /^TICKET=.*HttpOnly.*/i, 'the page load sets the ticket');
    await browser.page.waitForFunction(() => (globalThis as { echoed?: string }).echoed !== undefined, undefined, { timeout: WAIT_MS });
    const echoed = await browser.page.evaluate(() => (globalThis as { echoed?: string }).echoed);
    assert.equal(echoed, 'hello without a certificate', JSON.stringify(gw.lines.slice(-8)));
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'ios');
    assert.equal(opened['ticket'], 'ios', 'admitted by the ticket, not by a certificate');
    assert.match(String(opened['subject']), /CN=device-1/);
  });
});

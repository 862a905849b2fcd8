/**
 * A real browser: headless Chromium loads a page from a directory service and the page's script opens a WebSocket
 * to an echo service on the same https:// and wss:// address, behind ssl.verify-client required. The browser
 * presents device-1's certificate from its NSS database (chosen by the AutoSelectCertificateForUrls policy) and
 * trusts the test CA for the server's certificate; no certificate error is ignored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkipReason, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { PAGES, pagesAndEchoConfig } from '../helpers/pages-gateway.js';
import { testPki } from '../helpers/pki.js';
import { WAIT_MS } from '../helpers/deadline.js';

/** The page: opens a WebSocket to its own address, sends one message and shows what came back. */
const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>echo</title></head>
<body><p id="status">loading</p>
<script>
  const status = document.getElementById('status');
  const ws = new WebSocket('wss://' + location.host + '/echo');
  ws.onopen = () => ws.send('hello from the page');
  ws.onmessage = (e) => { window.echoed = e.data; status.textContent = 'echoed'; ws.close(); };
  ws.onerror = () => { window.echoed = 'error'; status.textContent = 'error'; };
</script></body></html>
`;

const skip = browserSkipReason({ clientCertificate: true });

describe('a browser with a client certificate loads a page and echoes through its WebSocket', { skip: skip ?? false }, () => {
  const pki = testPki();
  let space: Workspace;
  let gw: GatewayProcess;
  let browser: LaunchedBrowser;

  before(async () => {
    space = workspace();
    const file = pagesAndEchoConfig(space, '<directory>/</directory><welcome-file>index.html</welcome-file>');
    space.write('web/index.html', PAGE);
    gw = await GatewayProcess.start(file);
    browser = await launchBrowser({ trustedCa: pki.ca.cert, clientCertificate: { cert: pki.client.cert, key: pki.client.key } });
  });

  after(async () => {
    await browser?.cleanup();
    await gw?.stop();
    space?.cleanup();
  });

  test('the page loads over mutual TLS and its WebSocket echoes, both as device-1', async () => {
    const port = gw.port(PAGES);
    const response = await browser.page.goto(`https://127.0.0.1:${port}/`, { timeout: WAIT_MS });
    assert.equal(response?.status(), 200);
    await browser.page.waitForFunction(() => (globalThis as { echoed?: string }).echoed !== undefined, undefined, { timeout: WAIT_MS });
    assert.equal(await browser.page.evaluate(() => (globalThis as { echoed?: string }).echoed), 'hello from the page');
    const request = await gw.waitFor((l) => l['event'] === 'request' && l['service'] === 'pages' && l['path'] === '/');
    assert.match(String(request['subject']), /CN=device-1/);
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo');
    assert.match(String(opened['subject']), /CN=device-1/);
  });
});

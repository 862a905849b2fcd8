/**
 * The status page in a real browser (headless Chromium): it shows a live WebSocket connection, updated by its
 * server-sent events, and the connection's Close button closes it (1008) through the guarded DELETE. The page's
 * Content-Security-Policy is in force: nothing it needs is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { browserSkipReason, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { ECHO, echoAndManagementConfig } from '../helpers/management-gateway.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { WAIT_MS, event } from '../helpers/deadline.js';

const MANAGEMENT = 'http://127.0.0.1:0/manage';
const MONITORING = 'http://127.0.0.1:0/monitor';
const skip = browserSkipReason();

describe('the status page', { skip: skip ?? false }, () => {
  let space: Workspace;
  let gw: GatewayProcess;
  let browser: LaunchedBrowser;
  const problems: string[] = [];

  before(async () => {
    space = workspace();
    gw = await GatewayProcess.start(
      echoAndManagementConfig(
        space,
        MANAGEMENT,
        `
  <service>
    <name>monitoring</name>
    <accept>${MONITORING}</accept>
    <type>management.http</type>
    <properties><read-only>true</read-only></properties>
  </service>`,
      ),
    );
    browser = await launchBrowser();
    // A CSP violation or a script error shows on the console.
    browser.page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    browser.page.on('pageerror', (e) => problems.push(e.message));
  });

  after(async () => {
    await browser?.cleanup();
    await gw?.stop();
    space?.cleanup();
  });

  test('shows a live connection, and its Close button closes it', async () => {
    const port = gw.port(ECHO);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    await event(ws, 'open', 'the client to open');
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo');
    const id = String(opened['conn']);
    const page = browser.page;
    const response = await page.goto(`http://127.0.0.1:${gw.port(MANAGEMENT)}/manage/status`, { timeout: WAIT_MS });
    assert.equal(response?.status(), 200);
    const row = page.locator(`#connections tr[data-id="${id}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('#read-only').isVisible(), false, 'a service that closes connections says nothing of the kind');
    assert.match(await row.innerText(), /127\.0\.0\.1:\d+/);
    assert.match(await row.innerText(), /echo/);
    await page.locator('#state.ok').waitFor({ timeout: WAIT_MS });
    assert.match(await page.locator('#state').innerText(), /^Ready · 1 connection/);
    assert.match(await page.locator('#services').innerText(), /echo\s+echo\s+ws:\/\/127\.0\.0\.1:0\/echo\s+available\s+1/);

    const closed = event<[number, Buffer]>(ws, 'close', 'the client to be closed from the page');
    await row.getByRole('button', { name: `Close connection ${id}` }).click();
    const [code, reason] = await closed;
    assert.equal(code, 1008);
    assert.equal(reason.toString(), 'closed by the gateway operator');
    // The next snapshot no longer lists it.
    await row.waitFor({ state: 'detached', timeout: WAIT_MS });
    assert.match(await page.locator('#state').innerText(), /· 0 connections/);
    assert.deepEqual(problems, [], 'no script error and nothing the Content-Security-Policy refused');
  });

  test('a read-only service shows the connection without a Close button', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    await event(ws, 'open', 'the client to open');
    const opened = await gw.waitFor((l) => l['event'] === 'open' && l['service'] === 'echo' && gw.lines.filter((m) => m['event'] === 'open').length >= 2);
    const page = browser.page;
    assert.equal((await page.goto(`http://127.0.0.1:${gw.port(MONITORING)}/monitor/status`, { timeout: WAIT_MS }))?.status(), 200);
    const row = page.locator(`#connections tr[data-id="${String(opened['conn'])}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await row.getByRole('button').count(), 0);
    assert.match(await page.locator('#read-only').innerText(), /^Read-only/);
    ws.close();
    assert.deepEqual(problems, []);
  });

  test('reads on a phone: the connection table becomes one card per row, without sideways scrolling', async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 375, height: 740 });
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port(ECHO)}/echo`);
    await event(ws, 'open', 'the client to open');
    try {
      await page.locator('#connections tbody tr[data-id]').first().waitFor({ timeout: WAIT_MS });
      const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
      assert.ok(width <= 375, `the page is ${width}px wide on a 375px screen`);
      assert.equal(await page.locator('#connections thead').isVisible(), false, 'the header row is hidden; each cell is labelled');
    } finally {
      ws.terminate();
    }
  });
});

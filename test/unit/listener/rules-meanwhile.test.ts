/**
 * A client admitted under rules that change before it is upgraded (a reload while its realm's login modules run) is
 * no live session yet, so the reload's rejudge() does not see it: it is judged by the rules in force when it would be
 * upgraded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, WebSocketServer } from 'ws';
import { compileAccessRules } from '../../../src/auth/access.js';
import { LoginFailures } from '../../../src/auth/realm/failures.js';
import type { Realm } from '../../../src/auth/realm/realm.js';
import type { LoginModule, LoginOutcome } from '../../../src/auth/realm/types.js';
import type { AcceptUri } from '../../../src/config/types.js';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { EchoService } from '../../../src/services/echo.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { startTestListener } from '../../helpers/test-listener.js';

const accept: AcceptUri = { uri: 'ws://127.0.0.1:0/e', scheme: 'ws', host: '127.0.0.1', port: 0, path: '/e', listen: { host: '127.0.0.1', port: 0 }, position: { file: 't.xml' } };
const onlyTenNet = [{ subjects: [], sans: [], fingerprints: [], addresses: ['10.0.0.0/8'], pathIdentity: undefined, position: { file: 't.xml', line: 1, column: 1 } }];

test('a reload while a realm logs a client in: the client is judged by the new access-constraints before it is upgraded', async (t) => {
  let called!: () => void;
  const loginCalled = new Promise<void>((resolve) => (called = resolve));
  let finish!: (outcome: LoginOutcome) => void;
  // A login module that answers when the test says.
  const held = {
    type: 'token-directory',
    success: 'required',
    login: () => {
      called();
      return new Promise<LoginOutcome>((resolve) => (finish = resolve));
    },
  } as unknown as LoginModule;
  const realm = {
    config: { name: 'r', description: undefined, challengeScheme: 'Application Token', httpHeaders: [], httpQueryParameters: [], httpCookies: [], authorizationTimeoutMs: undefined, loginModules: [], position: { file: 't.xml' } },
    modules: [held],
    ticketModule: undefined,
    failures: new LoginFailures(),
  } as unknown as Realm;
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const log = memoryLog();
  const service = new EchoService(serviceConfig({ name: 'e', type: 'echo' }));
  t.after(() => service.stop());
  const route = (constraints: Parameters<typeof compileAccessRules>[0]) => ({ accept, service, wss: new WebSocketServer({ noServer: true }), access: compileAccessRules(constraints), meter: metrics.service('e'), realm });
  const { listener, port } = await startTestListener(t, [route([])], log, metrics);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/e`, { headers: { Authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' } });
  ws.on('error', () => undefined);
  t.after(() => ws.terminate());
  const answered = new Promise<number | 'open'>((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
  await withDeadline(loginCalled, WAIT_MS, 'the login to begin');
  listener.reconfigure({ ...listener.options, routes: [route(onlyTenNet)] });
  assert.deepEqual(listener.rejudge(), [], 'no live session for the reload to judge');
  finish({ ok: true, principal: { name: 'token:x', roles: [], module: 'token-directory' } } as unknown as LoginOutcome);
  assert.equal(await withDeadline(answered, WAIT_MS, 'the upgrade to be answered'), 403);
  const line = await withDeadline(log.waitFor((l) => l['code'] === 'GW_ERR_ACCESS_DENIED'), WAIT_MS, 'the refusal line');
  assert.equal(line['msg'], 'access refused');
  assert.deepEqual(metrics.recentRefusals().map((r) => r.message), [`403 Forbidden: access-constraint not satisfied: ${String(line['reason'])}`]);
});

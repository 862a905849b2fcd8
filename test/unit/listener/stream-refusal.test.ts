import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Gateway } from '../../../src/gateway.js';
import { config, doc, parse } from '../../helpers/config.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { tcpServer } from '../../helpers/tcp-servers.js';

test('a tcp:// client its access-constraint refuses is closed cleanly, what it sent dropped, and reaches no backend', async (t) => {
  let reached = false;
  const backend = await tcpServer(() => (reached = true));
  t.after(() => backend.close());
  const text = doc(
    '  <service>',
    '    <name>local</name>',
    '    <accept>tcp://127.0.0.1:0</accept>',
    `    <connect>tcp://127.0.0.1:${backend.port}</connect>`,
    '    <type>proxy</type>',
    '    <access-constraint><client-address>10.0.0.0/8</client-address></access-constraint>',
    '  </service>',
  );
  const logs = memoryLog();
  const prepared = Gateway.prepare(config(parse(text)), { log: logs.log });
  assert.ok(prepared.ok);
  const gateway = prepared.gateway;
  t.after(() => gateway.stop());
  const [bound] = await withDeadline(gateway.start(), WAIT_MS, 'the gateway to start');
  assert.ok(bound);

  const client = connect(bound.port, '127.0.0.1');
  const errors: string[] = [];
  client.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  // What it sends is read and dropped (unread at the close, it would turn the FIN into a reset).
  client.write('hello');
  client.resume();
  await event(client, 'end', 'the end of the refused connection');
  client.end();
  await event(client, 'close', 'the refused connection to close');
  assert.deepEqual(errors, []);
  assert.equal(reached, false, 'a refused client reaches no backend');
  await withDeadline(logs.waitFor((l) => l['msg'] === 'access refused'), WAIT_MS, 'the refusal line');
});

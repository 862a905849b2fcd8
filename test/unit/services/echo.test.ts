import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoService } from '../../../src/services/echo.js';
import { serve } from '../../helpers/ws-harness.js';
import { serviceConfig } from '../../helpers/service-config.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

test('echo returns each message in its own kind and logs one line on open and one on close', async (t) => {
  const h = await serve(new EchoService(serviceConfig({ name: 'echo', type: 'echo' })));
  t.after(() => h.close());
  const ws = await h.connect();
  const replies: { data: string; isBinary: boolean }[] = [];
  const two = new Promise<void>((resolve) =>
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      replies.push({ data: d.toString(), isBinary });
      if (replies.length === 2) resolve();
    }),
  );
  ws.send('text');
  ws.send(Buffer.from('bin'));
  await withDeadline(two, WAIT_MS, 'two echoed messages');
  assert.deepEqual(replies, [
    { data: 'text', isBinary: false },
    { data: 'bin', isBinary: true },
  ]);
  ws.close(1000);
  const closed = await h.logs.waitFor((l) => l['event'] === 'close');
  assert.equal(closed['bytesIn'], 7);
  assert.equal(closed['bytesOut'], 7);
  assert.equal(closed['code'], 1000);
  assert.equal(h.logs.lines.filter((l) => l['event'] === 'open').length, 1);
});

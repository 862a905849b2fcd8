/** The sink process through its handle: modes, byte counting, and nothing left running afterwards. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ProcessGroup } from '../../../bench/procs.js';
import { Sink } from '../../../bench/sink-client.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

let procs: ProcessGroup;
let sink: Sink;

before(async () => {
  procs = new ProcessGroup();
  sink = await withDeadline(Sink.start(procs), 3 * WAIT_MS, 'the sink to start');
});

after(async () => {
  await withDeadline(procs.stopAll(), WAIT_MS, 'the sink to stop');
  assert.notEqual(sink.child.exitCode ?? sink.child.signalCode, null);
});

function open(port: number): Promise<Socket> {
  const opened = new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return withDeadline(opened, WAIT_MS, `a connection to the sink on port ${port}`);
}

test('echo mode sends every byte back', async () => {
  await withDeadline(sink.mode('echo'), WAIT_MS, 'the sink to switch to echo mode');
  const s = await open(sink.port);
  const back = new Promise<string>((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.length >= 5) resolve(text);
    });
  });
  s.write('hello');
  assert.equal(await withDeadline(back, WAIT_MS, 'the echo of "hello"'), 'hello');
  s.destroy();
});

test('discard mode counts bytes over all connections and says when a total is reached', async () => {
  await withDeadline(sink.mode('discard'), WAIT_MS, 'the sink to switch to discard mode');
  await withDeadline(sink.reset(), WAIT_MS, 'the sink to reset its count');
  const a = await open(sink.port);
  const b = await open(sink.port);
  let echoed = 0;
  a.on('data', (d: Buffer) => (echoed += d.length));
  const reached = sink.reached(300000);
  a.write(Buffer.alloc(200000));
  b.write(Buffer.alloc(100000));
  await withDeadline(reached, WAIT_MS, 'the sink to count 300000 bytes');
  assert.equal(await withDeadline(sink.count(), WAIT_MS, "the sink's count"), 300000);
  // Reached already: resolves at once.
  await withDeadline(sink.reached(1), WAIT_MS, 'the sink to answer a total already reached');
  assert.equal(echoed, 0);
  a.destroy();
  b.destroy();
});

/** The sink process through its handle: modes, byte counting, and nothing left running afterwards. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ProcessGroup } from '../../../bench/procs.js';
import { Sink } from '../../../bench/sink-client.js';

let procs: ProcessGroup;
let sink: Sink;

before(async () => {
  procs = new ProcessGroup();
  sink = await Sink.start(procs);
});

after(async () => {
  await procs.stopAll();
  assert.notEqual(sink.child.exitCode ?? sink.child.signalCode, null);
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('echo mode sends every byte back', async () => {
  await sink.mode('echo');
  const s = await open(sink.port);
  const back = new Promise<string>((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.length >= 5) resolve(text);
    });
  });
  s.write('hello');
  assert.equal(await back, 'hello');
  s.destroy();
});

test('discard mode counts bytes over all connections and says when a total is reached', async () => {
  await sink.mode('discard');
  await sink.reset();
  const a = await open(sink.port);
  const b = await open(sink.port);
  let echoed = 0;
  a.on('data', (d: Buffer) => (echoed += d.length));
  const reached = sink.reached(300000);
  a.write(Buffer.alloc(200000));
  b.write(Buffer.alloc(100000));
  await reached;
  assert.equal(await sink.count(), 300000);
  // Reached already: resolves at once.
  await sink.reached(1);
  assert.equal(echoed, 0);
  a.destroy();
  b.destroy();
});

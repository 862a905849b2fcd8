import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLine, LogWatch, type CloseLine } from '../../../soak/log-watch.js';

test('lines are classified by level and by stack traces, without parsing them', () => {
  assert.deepEqual(classifyLine('{"level":30,"msg":"connection opened"}'), { level: 30, stack: false });
  assert.deepEqual(classifyLine('{"level":50,"err":{"type":"Error","message":"x","stack":"Error: x\\n    at f"},"msg":"x"}'), { level: 50, stack: true });
  assert.deepEqual(classifyLine('    at Socket.emit (node:events:517:28)'), { level: undefined, stack: true });
  assert.deepEqual(classifyLine('Error: boom'), { level: undefined, stack: false });
  assert.equal(classifyLine('{"level":30,"msg":"look at this"}').stack, false, '"at" inside a message is not a frame');
});

test('the watch counts what a soak must never see and keeps the first lines of it', () => {
  const w = new LogWatch();
  w.push('{"level":30,"msg":"Started server successfully in 0.1 secs"}', 'stdout');
  w.push('{"level":40,"msg":"TLS handshake failed"}', 'stdout');
  w.push('{"level":60,"msg":"Gateway failed to launch"}', 'stdout');
  w.push('TypeError: x is not a function', 'stderr');
  w.push('    at f (file.js:1:1)', 'stderr');
  assert.deepEqual(w.counts(), { lines: 5, errorLines: 1, stackTraces: 1, stderrLines: 2 });
  assert.deepEqual(w.samples, ['{"level":60,"msg":"Gateway failed to launch"}', 'TypeError: x is not a function', '    at f (file.js:1:1)']);
});

test('close lines go to a handler once one is set', () => {
  const w = new LogWatch();
  const seen: CloseLine[] = [];
  w.push('{"level":30,"event":"close","downstream":"127.0.0.1:1","code":1000}', 'stdout');
  w.onClose((l) => seen.push(l));
  w.push('{"level":30,"event":"open","downstream":"127.0.0.1:2"}', 'stdout');
  w.push('{"level":30,"event":"close","downstream":"127.0.0.1:2","reason":"downstream lost (1006)","code":1006}', 'stdout');
  assert.deepEqual(seen, [{ level: 30, event: 'close', downstream: '127.0.0.1:2', reason: 'downstream lost (1006)', code: 1006 }]);
});

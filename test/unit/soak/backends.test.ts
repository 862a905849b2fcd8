/** The misbehaving backends of the faults scenario, against plain TCP clients: each misbehaves as it says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { halfClosingBackend, resettingBackend, silentBackend, stallingBackend, taggingBackend } from '../../../soak/backends.js';

async function client(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
}

function collect(s: Socket): { text: () => string } {
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

test('the resetting backend echoes the first chunk, then resets the connection', async () => {
  const b = await resettingBackend(10);
  try {
    const s = await client(b.port);
    const got = collect(s);
    s.write('ping');
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(got.text(), 'ping');
  } finally {
    await b.close();
  }
});

test('the half-closing backend answers, sends its FIN and still reads', async () => {
  const b = await halfClosingBackend(Buffer.from('bye'));
  try {
    const s = connect({ port: b.port, host: '127.0.0.1', allowHalfOpen: true });
    await once(s, 'connect');
    const got = collect(s);
    s.write('hello');
    await once(s, 'end');
    assert.equal(got.text(), 'bye');
    assert.equal(s.write('more'), true, 'our side is still open');
    s.end();
    await once(s, 'close');
  } finally {
    await b.close();
  }
});

test('the silent backend reads and never writes', async () => {
  const b = await silentBackend();
  try {
    const s = await client(b.port);
    const got = collect(s);
    s.end('hello');
    await once(s, 'close');
    assert.equal(got.text(), '');
  } finally {
    await b.close();
  }
});

test('the stalling backend reads nothing until resumed, then everything, and sees the FIN', async () => {
  const b = await stallingBackend();
  try {
    const s = await client(b.port);
    s.write(Buffer.alloc(1000));
    await new Promise((r) => setImmediate(r));
    assert.equal(b.received, 0);
    b.resume();
    s.end(Buffer.alloc(500));
    await once(s, 'close');
    assert.equal(b.received, 1500);
    assert.equal(b.ended, 1);
  } finally {
    await b.close();
  }
});

test('the tagging backend echoes and tells when the connection that sent a tag closes', async () => {
  const b = await taggingBackend();
  try {
    const s = await client(b.port);
    const got = collect(s);
    s.write('tag-1');
    while (got.text() !== 'tag-1') await once(s, 'data');
    const closed = b.closeOf('tag-1');
    s.destroy();
    assert.ok((await closed) >= 0);
    await assert.rejects(b.closeOf('tag-2'), /no backend connection sent "tag-2"/);
  } finally {
    await b.close();
  }
});

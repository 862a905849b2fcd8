import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindAll } from '../../../src/listener/bind-all.js';
import type { Listener } from '../../../src/listener/listener.js';
import { GatewayError } from '../../../src/errors.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';

/**
 * A listener as bindAll sees it. One that binds and has accepted a client closes, as a net.Server does, only once
 * that client's connection is gone: once destroyConnections() has run.
 */
function fakeListener(where: string, binds: boolean, calls: string[]): Listener {
  let dropConnections: () => void = () => undefined;
  const connectionsGone = new Promise<void>((resolve) => (dropConnections = resolve));
  return {
    where,
    listen: async () => {
      calls.push(`listen ${where}`);
      if (!binds) throw new GatewayError('GW_ERR_BIND', `cannot bind ${where}`);
      return { address: '127.0.0.1', family: 'IPv4', port: 1 };
    },
    close: async () => {
      calls.push(`close ${where}`);
      if (binds) await connectionsGone;
    },
    destroyConnections: () => {
      calls.push(`destroyConnections ${where}`);
      dropConnections();
    },
  } as unknown as Listener;
}

test('a failed bind closes the listeners that did bind, dropping what they accepted meanwhile so that the close can end', async () => {
  const calls: string[] = [];
  const listeners = [fakeListener('a', true, calls), fakeListener('b', false, calls), fakeListener('c', false, calls)];
  const failure = await withDeadline(bindAll(listeners).then(() => undefined, (e: unknown) => e), WAIT_MS, 'bindAll to give up');
  assert.ok(failure instanceof Error);
  assert.equal((failure as GatewayError).code, 'GW_ERR_BIND');
  assert.deepEqual(calls.slice(0, 3), ['listen a', 'listen b', 'listen c'], 'every listener is tried');
  assert.ok(calls.includes('destroyConnections a'), 'the bound listener drops its connections');
});

test('when every listener binds, none is closed', async () => {
  const calls: string[] = [];
  await withDeadline(bindAll([fakeListener('a', true, calls), fakeListener('b', true, calls)]), WAIT_MS, 'bindAll');
  assert.deepEqual(calls, ['listen a', 'listen b']);
});

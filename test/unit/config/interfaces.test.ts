import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { resolveInterface, splitInterfaceHost, type Interfaces } from '../../../src/config/interfaces.js';
import { parseBind } from '../../../src/config/grammar.js';
import { parseAcceptUri } from '../../../src/config/uris.js';
import { GatewayError } from '../../../src/errors.js';
import { doc, only, parse, where } from '../../helpers/config.js';

const address = (family: 'IPv4' | 'IPv6', a: string) => ({ address: a, family, netmask: '', mac: '', internal: false, cidr: null }) as NonNullable<Interfaces[string]>[number];
const MACHINE: Interfaces = {
  lo: [address('IPv6', '::1'), address('IPv4', '127.0.0.1')],
  eth0: [address('IPv4', '10.0.0.5')],
  'eth0:1': [address('IPv4', '10.0.0.6')],
  'Software Loopback Interface 1': [address('IPv4', '127.0.0.2')],
  v6only: [address('IPv6', 'fe80::1')],
};

test("Kaazing's [@name] and @name hosts are split from the rest", () => {
  assert.deepEqual(splitInterfaceHost('[@eth0]:8080'), { name: 'eth0', rest: ':8080' });
  assert.deepEqual(splitInterfaceHost('[@eth0:1]:7082'), { name: 'eth0:1', rest: ':7082' });
  assert.deepEqual(splitInterfaceHost('[@Software Loopback Interface 1]:2345'), { name: 'Software Loopback Interface 1', rest: ':2345' });
  assert.deepEqual(splitInterfaceHost('@eth0:8080/path'), { name: 'eth0', rest: ':8080/path' });
  assert.equal(splitInterfaceHost('localhost:8080'), undefined);
  assert.equal(splitInterfaceHost('[::1]:8080'), undefined);
});

test('an interface resolves to its first IPv4 address, else its first IPv6 one, its name compared ignoring case', () => {
  assert.equal(resolveInterface('lo', MACHINE), '127.0.0.1');
  assert.equal(resolveInterface('ETH0', MACHINE), '10.0.0.5');
  assert.equal(resolveInterface('eth0:1', MACHINE), '10.0.0.6');
  assert.equal(resolveInterface('v6only', MACHINE), 'fe80::1');
});

test('a missing interface is an error naming the interfaces there are', () => {
  assert.throws(
    () => resolveInterface('eth9', MACHINE),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_VALUE' && e.message === 'Network interface "eth9" does not exist on this machine' && /eth0, eth0:1, lo/.test(e.hint ?? ''),
  );
});

test('interfaces the system refuses to list (a sandbox without netlink) are an error saying so, not an internal one', () => {
  const refused = (): never => {
    throw Object.assign(new Error('uv_interface_addresses returned Unknown system error 97'), { code: 'ERR_SYSTEM_ERROR' });
  };
  assert.throws(
    () => resolveInterface('lo', undefined, refused),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'GW_ERR_CONFIG_VALUE' &&
      /^Network interface "lo" cannot be looked up: the system refused to list this machine's interfaces \(uv_interface_addresses/.test(e.message) &&
      /AF_NETLINK/.test(e.hint ?? ''),
  );
});

test('accept URIs and binds take interface hosts', () => {
  assert.deepEqual(parseAcceptUri('tcp://[@eth0]:8080', MACHINE), { scheme: 'tcp', host: '10.0.0.5', port: 8080, path: '/' });
  assert.deepEqual(parseAcceptUri('ws://[@v6only]:80/a', MACHINE), { scheme: 'ws', host: 'fe80::1', port: 80, path: '/a' });
  assert.deepEqual(parseAcceptUri('wss://@lo:9000/echo', MACHINE), { scheme: 'wss', host: '127.0.0.1', port: 9000, path: '/echo' });
  assert.deepEqual(parseBind('[@eth0:1]:7082', MACHINE), { host: '10.0.0.6', port: 7082 });
  assert.throws(() => parseBind('[@eth0]', MACHINE), /expected \[@interface\]:port/);
});

test('in a configuration, [@lo] resolves on this machine and a missing interface is reported at its line:col', () => {
  const loopback = Object.keys(networkInterfaces()).find((n) => n.toLowerCase() === 'lo');
  const r = parse(
    doc(
      '  <service>',
      '    <name>e</name>',
      ...(loopback ? ['    <accept>ws://[@lo]:0/e</accept>'] : []),
      '    <accept>ws://[@no-such-interface-0]:0/f</accept>',
      '    <type>echo</type>',
      '    <accept-options><ws.bind>[@no-such-interface-1]:9</ws.bind></accept-options>',
      '  </service>',
    ),
  );
  const errors = only(r, 'GW_ERR_CONFIG_VALUE');
  assert.equal(errors.length, 2, where(r).join('\n'));
  assert.match(errors[0]?.message ?? '', /"no-such-interface-0" does not exist/);
  assert.equal(errors[0]?.position?.line, loopback ? 5 : 4);
  assert.equal(errors[0]?.position?.column, 5);
  assert.match(errors[1]?.message ?? '', /"no-such-interface-1" does not exist/);
  if (!r.ok && loopback) {
    assert.equal(r.partial?.config.services.length, 0);
  }
});

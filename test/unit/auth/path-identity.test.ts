import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { firstSegmentAfter, parsePathIdentity, pathIdentityValues } from '../../../src/auth/path-identity.js';
import { identity } from '../../helpers/access-identity.js';

test('a subject attribute or a SAN kind, any case', () => {
  assert.deepEqual(parsePathIdentity('CN'), { text: 'CN', kind: 'subject', attribute: 'CN' });
  assert.deepEqual(parsePathIdentity(' ou '), { text: 'ou', kind: 'subject', attribute: 'OU' });
  assert.deepEqual(parsePathIdentity('emailAddress'), { text: 'emailAddress', kind: 'subject', attribute: 'EMAILADDRESS' });
  assert.deepEqual(parsePathIdentity('SAN:DNS'), { text: 'SAN:DNS', kind: 'san', type: 'DNS' });
  assert.deepEqual(parsePathIdentity('san:uri'), { text: 'san:uri', kind: 'san', type: 'URI' });
});

test('an unknown source is a GW_ERR_CONFIG_VALUE', () => {
  const pos = { file: 'gateway-config.xml', line: 12 };
  for (const [text, why] of [
    ['SAN:X400', /unknown SAN kind/],
    ['SAN:', /unknown SAN kind/],
    ['', /is not a subject attribute or SAN kind/],
    ['CN=device-1', /is not a subject attribute or SAN kind/],
  ] as const) {
    assert.throws(
      () => parsePathIdentity(text, pos),
      (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_CONFIG_VALUE' && e.position === pos && why.test(e.message),
      text,
    );
  }
});

test('the certificate values a path may name: every value of the attribute or kind', () => {
  const id = identity({ subjectAttributes: { CN: ['device-1'], OU: ['devices', 'sensors'] } });
  assert.deepEqual(pathIdentityValues(parsePathIdentity('cn'), id), ['device-1']);
  assert.deepEqual(pathIdentityValues(parsePathIdentity('OU'), id), ['devices', 'sensors']);
  assert.deepEqual(pathIdentityValues(parsePathIdentity('SAN:DNS'), id), ['device-1.devices.acme.com']);
  assert.deepEqual(pathIdentityValues(parsePathIdentity('SAN:IP'), id), []);
  assert.deepEqual(pathIdentityValues(parsePathIdentity('L'), id), []);
});

test('the first segment after the accept path, decoded, without the query string', () => {
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/device-1'), { segment: 'device-1' });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/device-1/telemetry'), { segment: 'device-1' });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/device-1?x=/y'), { segment: 'device-1' });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/d%C3%A9vice%201'), { segment: 'dévice 1' });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/a%2Fb'), { segment: 'a/b' });
  assert.deepEqual(firstSegmentAfter('/', '/device-1'), { segment: 'device-1' });
  assert.deepEqual(firstSegmentAfter('/v1/devices/', '/v1/devices/device-1'), { segment: 'device-1' });
});

test('no segment, another path, or bad percent-encoding: the reason says which', () => {
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices'), {
    problem: 'the request path "/v1/devices" has no segment after the accept path "/v1/devices"',
  });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devices/'), {
    problem: 'the request path "/v1/devices/" has no segment after the accept path "/v1/devices"',
  });
  assert.deepEqual(firstSegmentAfter('/v1/devices', '/v1/devicesX/a'), {
    problem: 'the request path "/v1/devicesX/a" is not under the accept path "/v1/devices"',
  });
  assert.deepEqual(firstSegmentAfter('/', '/?q'), { problem: 'the request path "/" has no segment after the accept path "/"' });
  assert.deepEqual(firstSegmentAfter('/v1', '/v1/%E0%A4%A'), { problem: 'the path segment "%E0%A4%A" is not valid percent-encoding' });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusMetrics } from '../../../src/metrics/prometheus.js';
import { certificateRefusal } from '../../../src/metrics/reasons.js';
import { RecentRefusals } from '../../../src/metrics/recent-refusals.js';

async function values(metrics: PrometheusMetrics, name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values as { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

test('a service meter counts opened and open connections, durations and bytes per direction', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const echo = metrics.service('echo');
  echo.opened();
  echo.opened();
  echo.closed(10, 20, 1500, 'downstream_closed');
  assert.deepEqual((await values(metrics, 'gateway_connections_open')).map((v) => [v.labels['service'], v.value]), [['echo', 1]]);
  assert.deepEqual((await values(metrics, 'gateway_connections_closed_total')).map((v) => [v.labels['service'], v.labels['cause'], v.value]), [['echo', 'downstream_closed', 1]]);
  assert.deepEqual((await values(metrics, 'gateway_connections_opened_total')).map((v) => v.value), [2]);
  const bytes = await values(metrics, 'gateway_bytes_total');
  assert.deepEqual(bytes.map((v) => [v.labels['direction'], v.value]), [
    ['downstream_to_upstream', 10],
    ['upstream_to_downstream', 20],
  ]);
  const count = (await values(metrics, 'gateway_connection_duration_seconds')).find((v) => v.metricName === 'gateway_connection_duration_seconds_count');
  assert.equal(count?.value, 1);
  assert.equal(metrics.service('echo'), echo, 'a service is bound once');
});

test('bytes of live connections are added at scrape time, and the total never falls when they close', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const proxy = metrics.service('proxy');
  let live = [{ serviceName: 'proxy', traffic: { bytesIn: 5, bytesOut: 7 } }];
  metrics.liveTraffic(() => live);
  proxy.opened();
  const before = await values(metrics, 'gateway_bytes_total');
  assert.deepEqual(before.map((v) => v.value), [5, 7]);
  // The connection leaves the live sessions before its service counts it closed: the counter holds, then moves on.
  live = [];
  assert.deepEqual((await values(metrics, 'gateway_bytes_total')).map((v) => v.value), [5, 7]);
  proxy.closed(6, 9, 10, 'upstream_closed');
  const after = await values(metrics, 'gateway_bytes_total');
  assert.deepEqual(after.map((v) => v.value), [6, 9]);
});

test('backend connects are timed and failures counted by code', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const s = metrics.service('proxy');
  s.upstreamConnected(3);
  s.upstreamFailed('GW_ERR_UPSTREAM_CONNECT');
  s.upstreamFailed('GW_ERR_UPSTREAM_CONNECT');
  const failures = await values(metrics, 'gateway_upstream_connect_failures_total');
  assert.deepEqual(failures.map((v) => [v.labels['code'], v.value]), [['GW_ERR_UPSTREAM_CONNECT', 2]]);
  const time = await values(metrics, 'gateway_upstream_connect_seconds');
  assert.equal(time.find((v) => v.metricName === 'gateway_upstream_connect_seconds_bucket' && v.labels['le'] === 0.005)?.value, 1);
  assert.equal(time.find((v) => v.metricName === 'gateway_upstream_connect_seconds_bucket' && v.labels['le'] === 0.0025)?.value, 0);
});

test('refusals are counted by listener, service and reason, and kept in the recent ring', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const l = metrics.listener('0.0.0.0:443');
  l.refused('revoked', 'devices', { downstream: '10.0.0.1:5000', message: 'client certificate refused: CERT_REVOKED', subject: 'CN=d1' });
  l.refused('limits', undefined, { downstream: '10.0.0.2:5000', message: 'connection refused' });
  l.refused('revoked', 'devices', { downstream: '10.0.0.1:5001', message: 'client certificate refused: CERT_REVOKED', subject: 'CN=d1' });
  const counted = (await values(metrics, 'gateway_refusals_total')).map((v) => [v.labels['listener'], v.labels['service'], v.labels['reason'], v.value]);
  assert.deepEqual(counted, [
    ['0.0.0.0:443', 'devices', 'revoked', 2],
    ['0.0.0.0:443', '', 'limits', 1],
  ]);
  assert.deepEqual(
    metrics.recentRefusals().map((r) => r.downstream),
    ['10.0.0.1:5001', '10.0.0.2:5000', '10.0.0.1:5000'],
  );
});

test('certificate lifetimes are reported as seconds left, read at scrape time', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const day = 24 * 3600 * 1000;
  metrics.certificates({
    server: [{ alias: 'gateway', subject: 'CN=localhost', serial: '1A', validTo: new Date(Date.now() + 30 * day), serves: ['localhost on 127.0.0.1:8443'] }],
    soonestClientCa: { subject: 'CN=Device CA', validTo: new Date(Date.now() + 300 * day) },
    soonestCrl: { issuer: 'CN=Device CA', nextUpdate: new Date(Date.now() - day) },
  });
  const [server] = await values(metrics, 'gateway_certificate_expiry_seconds');
  assert.equal(server?.labels['alias'], 'gateway');
  assert.ok(Math.abs((server?.value ?? 0) - 30 * 24 * 3600) < 60);
  const [ca] = await values(metrics, 'gateway_client_ca_expiry_seconds');
  assert.ok(Math.abs((ca?.value ?? 0) - 300 * 24 * 3600) < 60);
  const [crl] = await values(metrics, 'gateway_crl_next_update_seconds');
  assert.ok((crl?.value ?? 0) < 0, 'a CRL past its nextUpdate shows negative');
});

test('two gateways in one process count apart, and the text is Prometheus format', async () => {
  const a = new PrometheusMetrics({ processMetrics: false });
  const b = new PrometheusMetrics({ processMetrics: false });
  a.service('echo').opened();
  a.reloaded('failure');
  a.policyClosed('revoked');
  a.crlReloaded('0.0.0.0:9443', 'failure');
  assert.match(await a.text(), /^gateway_crl_reloads_total\{listener="0.0.0.0:9443",result="failure"\} 1$/m);
  assert.match(await a.text(), /^gateway_connections_opened_total\{service="echo"\} 1$/m);
  assert.match(await a.text(), /^gateway_reloads_total\{result="failure"\} 1$/m);
  assert.match(await a.text(), /^gateway_policy_closes_total\{reason="revoked"\} 1$/m);
  assert.doesNotMatch(await b.text(), /service="echo"/);
});

test('process metrics are included unless turned off', async () => {
  assert.match(await new PrometheusMetrics().text(), /^process_cpu_seconds_total /m);
});

test('certificate refusals are grouped into the documented reasons', () => {
  assert.equal(certificateRefusal('no client certificate sent'), 'no_certificate');
  assert.equal(certificateRefusal('CERT_HAS_EXPIRED: certificate has expired (valid to …)'), 'expired');
  assert.equal(certificateRefusal('CERT_REVOKED: certificate revoked: …'), 'revoked');
  assert.equal(certificateRefusal('UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate; untrusted issuer "CN=x"'), 'unknown_ca');
  assert.equal(certificateRefusal('CERT_CHAIN_TOO_LONG: certificate chain too long: …'), 'depth');
  assert.equal(certificateRefusal('CRL_HAS_EXPIRED: CRL expired: …'), 'certificate');
});

test('the recent-refusal ring keeps the newest, up to its capacity', () => {
  const ring = new RecentRefusals(3);
  for (let i = 0; i < 5; i++) ring.note({ at: i, reason: 'limits', listener: 'l', service: undefined, downstream: `a:${i}`, message: 'm' });
  assert.deepEqual(ring.list().map((r) => r.at), [4, 3, 2]);
  assert.equal(ring.total, 5);
});

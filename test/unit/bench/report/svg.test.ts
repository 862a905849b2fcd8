import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSvg } from '../../../../bench/report/svg.js';
import type { Row } from '../../../../bench/report/types.js';

const rows: Row[] = [
  { scenario: 'bulk 64 KiB', system: 'gateway', metric: 'throughput', value: 400, unit: 'MiB/s' },
  { scenario: 'bulk 64 KiB', system: 'nginx-stream', metric: 'throughput', value: 200, unit: 'MiB/s' },
  { scenario: 'latency', system: 'gateway', metric: 'p99', value: 1.5, unit: 'ms' },
  { scenario: 'latency', system: 'nginx-stream', metric: 'p99', value: Number.NaN, unit: 'ms' },
];

function bars(svg: string): { width: number; title: string }[] {
  return [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)" height="\d+" fill="[^"]+"><title>([^<]*)<\/title>/g)].map((m) => ({
    width: Number(m[1]),
    title: m[2] as string,
  }));
}

test('each group is scaled to its largest value and every bar carries its number', () => {
  const svg = renderSvg(rows, ['gateway', 'nginx-stream'], 'Run <1>');
  const b = bars(svg);
  assert.deepEqual(
    b.map((x) => x.title),
    ['gateway: 400 MiB/s', 'nginx-stream: 200 MiB/s', 'gateway: 1.50 ms'],
  );
  assert.equal(b[0]?.width, 420);
  assert.equal(b[1]?.width, 210);
  assert.equal(b[2]?.width, 420);
});

test('the chart is one well-formed SVG element with the title escaped and a legend entry per system', () => {
  const svg = renderSvg(rows, ['gateway', 'nginx-stream'], 'Run <1> & "2"');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.ok(svg.includes('Run &lt;1&gt; &amp; &quot;2&quot;'));
  assert.ok(!svg.includes('Run <1>'));
  assert.ok(svg.includes('>gateway</text>') && svg.includes('>nginx-stream</text>'));
  assert.ok(svg.includes('MiB/s, higher is better') && svg.includes('ms, lower is better'));
  const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
  const lastY = Math.max(...[...svg.matchAll(/ y="(\d+)"/g)].map((m) => Number(m[1])));
  assert.ok(lastY < height, 'everything drawn lies inside the picture');
});

test('no rows, no bars', () => {
  assert.deepEqual(bars(renderSvg([], ['gateway'], 'empty')), []);
});

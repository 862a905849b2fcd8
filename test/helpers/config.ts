/** Small helpers for config tests: documents written line by line so that asserted line numbers are visible. */
import { parseConfig } from '../../src/config/index.js';
import type { Diagnostic, LoadConfigOptions, LoadConfigResult, GatewayConfig } from '../../src/config/index.js';

export const NS = 'http://xmlns.kaazing.org/2016/06/gateway';
export const FILE = 'conf/gateway-config.xml';

/** Line 1 is `<gateway-config …>`; `body` lines follow from line 2; the closing tag is last. */
export function doc(...body: string[]): string {
  return [`<gateway-config xmlns="${NS}">`, ...body, '</gateway-config>'].join('\n');
}

export function parse(text: string, options: LoadConfigOptions = {}): LoadConfigResult {
  return parseConfig(text, FILE, { hostname: 'gw.example.com', ...options });
}

/** `severity CODE line:col` for each diagnostic, the compact form tests compare. */
export function where(result: LoadConfigResult): string[] {
  return result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.position?.line ?? '-'}:${d.position?.column ?? '-'}`);
}

export function only(result: LoadConfigResult, code: string): Diagnostic[] {
  return result.diagnostics.filter((d) => d.code === code);
}

export function config(result: LoadConfigResult): GatewayConfig {
  if (!result.ok) throw new Error('expected a valid config, got:\n' + result.diagnostics.map((d) => `${d.position?.line}:${d.position?.column} ${d.code} ${d.message}`).join('\n'));
  return result.config;
}

/** A valid ws proxy service block, 6 lines. */
export function proxy(name: string, accept: string, connect = 'tcp://backend:5000', extra: string[] = []): string[] {
  return ['  <service>', `    <name>${name}</name>`, `    <accept>${accept}</accept>`, `    <connect>${connect}</connect>`, '    <type>proxy</type>', ...extra, '  </service>'];
}

export const KEYSTORE = ['  <security>', '    <keystore><file>keystore.db</file></keystore>', '    <truststore><file>truststore.db</file></truststore>', '  </security>'];

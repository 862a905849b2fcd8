/**
 * A GATEWAY_HOME in a workspace (conf/ with the configuration, web/ for pages) whose configuration serves a
 * directory service on https://127.0.0.1:0/ and an echo service on wss://127.0.0.1:0/echo, one address, both with
 * ssl.verify-client required: what a browser page and its WebSocket need.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from './e2e-setup.js';

export const PAGES = 'https://127.0.0.1:0/';
export const ECHO = 'wss://127.0.0.1:0/echo';

/** Writes conf/gateway-config.xml and returns its path; `properties` and `extra` go into the directory service. */
export function pagesAndEchoConfig(space: Workspace, properties: string, extra = ''): string {
  for (const d of ['conf', 'web']) mkdirSync(join(space.dir, d), { recursive: true });
  const file = join(space.dir, 'conf', 'gateway-config.xml');
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?>
<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">
  <service>
    <name>pages</name>
    <accept>${PAGES}</accept>
    <type>directory</type>
    <properties>${properties}</properties>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>${extra}
  </service>
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  <security>
    <keystore><type>PEM</type><file>../server.pem</file></keystore>
    <truststore><type>PEM</type><file>../ca.pem</file></truststore>
  </security>
</gateway-config>
`,
  );
  return file;
}

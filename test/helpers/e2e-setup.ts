/** A temporary directory with PEM stores from the test PKI and a config file written into it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPki } from './pki.js';

export interface Workspace {
  readonly dir: string;
  /** Writes `name` in the workspace and returns its path. */
  write(name: string, text: string): string;
  /** Writes a gateway-config.xml (2016/06 namespace) around the given body and returns its path. */
  config(body: string, name?: string): string;
  cleanup(): void;
}

export const NS = 'http://xmlns.kaazing.org/2016/06/gateway';

export const PEM_SECURITY = `
  <security>
    <keystore><type>PEM</type><file>server.pem</file></keystore>
    <truststore><type>PEM</type><file>ca.pem</file></truststore>
  </security>`;

/** A config body with one echo service, named `echo`, on `accept`. */
export function echoService(accept: string): string {
  return `
  <service>
    <name>echo</name>
    <accept>${accept}</accept>
    <type>echo</type>
  </service>`;
}

/**
 * A config body with one proxy service that requires a client certificate, from `accept` to `connect`; `more`: its
 * further elements (`<connect-options>`, say).
 */
export function mtlsProxyService(name: string, accept: string, connect: string, more = ''): string {
  return `
  <service>
    <name>${name}</name>
    <accept>${accept}</accept>
    <connect>${connect}</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>${more}
  </service>`;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  const pki = testPki();
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  write('server.pem', pki.server.key + pki.server.cert + pki.ca.cert);
  write('ca.pem', pki.ca.cert);
  return {
    dir,
    write,
    config: (body, name = 'gateway-config.xml') =>
      write(name, `<?xml version="1.0" encoding="UTF-8"?>\n<gateway-config xmlns="${NS}">\n${body}\n</gateway-config>\n`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

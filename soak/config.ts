/**
 * The gateway-config.xml each scenario runs: services on loopback, PEM stores from the run's throwaway PKI, and the
 * accept-options the scenario needs. Options the gateway under test does not know yet are left out (and named),
 * so that a scenario still runs against an older build and reports what that build does.
 */

export interface SoakService {
  readonly name: string;
  /** `ws://127.0.0.1:PORT/path` or `wss://…`; port 0 lets the gateway choose (one listener per host:port). */
  readonly accept: string;
  readonly type: 'proxy' | 'echo';
  /** `tcp://127.0.0.1:PORT` for a proxy. */
  readonly connect?: string;
  /** Accept-options by element name, in the order given. */
  readonly acceptOptions?: Readonly<Record<string, string>>;
  /** Proxy properties (`maximum.pending.bytes`, …). */
  readonly properties?: Readonly<Record<string, string>>;
}

export interface SoakConfig {
  readonly services: readonly SoakService[];
  /** PEM file with the server key and chain; needed for wss:// accepts. */
  readonly keystore: string;
  /** PEM file with the CA client certificates must chain to. */
  readonly truststore: string;
}

export interface RenderedConfig {
  readonly xml: string;
  /** Options left out because the gateway does not know them, without repeats. */
  readonly omitted: readonly string[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function elements(values: Readonly<Record<string, string>>, indent: string, keep: (name: string) => boolean, omitted: Set<string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!keep(name)) {
      omitted.add(name);
      continue;
    }
    out.push(`${indent}<${name}>${escapeXml(value)}</${name}>`);
  }
  return out;
}

/** `known(name)` says whether the gateway under test accepts an option; by default every option is kept. */
export function renderConfig(config: SoakConfig, known: (option: string) => boolean = () => true): RenderedConfig {
  const omitted = new Set<string>();
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">'];
  for (const s of config.services) {
    lines.push('  <service>', `    <name>${escapeXml(s.name)}</name>`, `    <accept>${escapeXml(s.accept)}</accept>`);
    if (s.connect !== undefined) lines.push(`    <connect>${escapeXml(s.connect)}</connect>`);
    lines.push(`    <type>${s.type}</type>`);
    const properties = elements(s.properties ?? {}, '      ', () => true, omitted);
    if (properties.length > 0) lines.push('    <properties>', ...properties, '    </properties>');
    const options = elements(s.acceptOptions ?? {}, '      ', known, omitted);
    if (options.length > 0) lines.push('    <accept-options>', ...options, '    </accept-options>');
    lines.push('  </service>');
  }
  lines.push(
    '  <security>',
    `    <keystore><type>PEM</type><file>${escapeXml(config.keystore)}</file></keystore>`,
    `    <truststore><type>PEM</type><file>${escapeXml(config.truststore)}</file></truststore>`,
    '  </security>',
    '</gateway-config>',
    '',
  );
  return { xml: lines.join('\n'), omitted: [...omitted] };
}

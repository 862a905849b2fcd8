/** The real Kaazing files of test/fixtures/kaazing-configs and what each may be told by `check`. */
import { readdirSync } from 'node:fs';
import { repoPath } from './paths.js';

export const CORPUS = repoPath('test', 'fixtures', 'kaazing-configs');

export const CORPUS_FILES: readonly string[] = readdirSync(CORPUS).filter((f) => f.endsWith('.xml'));

/** What a faithful Kaazing file may be told: not served here, a store not copied, a keystore it never declared. */
const DOCUMENTED = ['GW_ERR_CONFIG_UNSUPPORTED', 'GW_ERR_FILE_READ', 'GW_ERR_CONFIG_NAMESPACE', 'GW_ERR_CONFIG_MISSING'];

/** Files Kaazing's own tests use as wrong or as fragments, with the codes they get here. */
const DELIBERATE: Readonly<Record<string, readonly string[]>> = {
  'server-test-parse__gateway-config-accept-options-template.xml': ['GW_ERR_CONFIG_XML'], // `{0}` placeholders
  'server-test-parse__gateway-config-connect-options-template.xml': ['GW_ERR_CONFIG_XML'],
  'server-test-parse__gateway-config-accept-options.xml': ['GW_ERR_CONFIG_DUPLICATE', 'GW_ERR_CONFIG_ORDER'],
  'server-test-parse__gateway-config-invalid-ws-inactivity-timeout.xml': ['GW_ERR_CONFIG_VALUE'],
  'server-test-parse__gateway-config-invalid-ws-inactivity-timeout-connect.xml': ['GW_ERR_CONFIG_VALUE'],
  'server-test-parse__gateway-config-unknownservice.xml': ['GW_ERR_CONFIG_VALUE'],
  'server-test-parse__gateway-config-multiple-cluster.xml': ['GW_ERR_CONFIG_DUPLICATE'],
  // Two realms named demo: Kaazing refuses it too ("Found demo duplicate <realm> elements", KG-7237).
  'server-test-context__gateway-config-duplicate-realms.xml': ['GW_ERR_CONFIG_DUPLICATE'],
  'server-test-parse__gateway-config-in-sequence-accept-options.xml': ['GW_ERR_CONFIG_DUPLICATE'],
  'server-test-parse__gateway-config-out-of-sequence-accept-options.xml': ['GW_ERR_CONFIG_DUPLICATE'],
  // A test extension's service type, `testService-extension`.
  'server-test-parse__gateway-config-tls-accept-options.xml': ['GW_ERR_CONFIG_VALUE'],
  'server-test-parse__gateway-config-tls-connect-options.xml': ['GW_ERR_CONFIG_VALUE'],
  'server-test-parse__gateway-config-tls-in-connect.xml': ['GW_ERR_CONFIG_VALUE'],
  // Windows' "Software Loopback Interface 1" and Linux's eth0:1, which this machine need not have.
  'server-test-parse__gateway-config-network-interface-syntax.xml': ['GW_ERR_CONFIG_VALUE'],
};

/** The error codes `check` may report for corpus file `name`. */
export function allowedCodes(name: string): ReadonlySet<string> {
  return new Set([...DOCUMENTED, ...(DELIBERATE[name.replace(/^kaazing-gateway__/, '')] ?? [])]);
}

/** Whether an error line of `check` is one corpus file `name` may get (a web directory or users file is not copied with it). */
export function allowedError(name: string, code: string, line: string): boolean {
  if (allowedCodes(name).has(code)) return true;
  // A realm's users file (jaas-config.xml) is not copied with the configuration, as its stores are not.
  if (code === 'GW_ERR_REALM_FILE' && /Cannot read the users file/.test(line)) return true;
  return code === 'GW_ERR_CONFIG_VALUE' && /<(error-pages-)?directory> ".*" names .*, which does not exist/.test(line);
}

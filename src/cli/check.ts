import type { Logger } from 'pino';
import { formatHostPort } from '../config/rules.js';
import { formatDiagnostic } from '../errors.js';
import { normaliseHostname } from '../tls/select.js';
import { describeServed } from '../tls/served.js';
import { EXIT } from './exit-codes.js';
import { prepare } from './prepare.js';

/**
 * Everything `start` would do short of binding. Prints each problem as `PATH:LINE:COL: error CODE: message`, then
 * either a summary of the services (exit 0) or the count of errors (exit 1).
 */
export function check(configPath: string | undefined, defines: Record<string, string>, log: Logger, out: (line: string) => void): number {
  const prepared = prepare(configPath, defines, log);
  for (const d of [...prepared.errors, ...prepared.warnings]) {
    out(formatDiagnostic(d.severity, d.code, d.message, d.position, d.hint));
  }
  if (prepared.errors.length > 0 || !prepared.config) {
    const n = prepared.errors.length;
    const incomplete = prepared.incomplete ?? [];
    if (incomplete.length > 0) {
      // Which of them would serve TLS is not known: a service with errors may not have been read far enough to say.
      const one = incomplete.length === 1;
      const which = one ? `service ${incomplete[0]} has errors of its own` : `services ${incomplete.join(', ')} have errors of their own`;
      out(`Not yet checked: ${which}; ${one ? 'its' : 'their'} addresses, and the certificates of any TLS accept, are checked with the rest of the configuration once they are fixed`);
    }
    out(`${n} error${n === 1 ? '' : 's'}: the gateway would not start`);
    return EXIT.INVALID;
  }
  const config = prepared.config;
  const served = prepared.gateway?.servedCertificates() ?? [];
  out(`${config.file}: valid (${config.services.length} service${config.services.length === 1 ? '' : 's'})`);
  for (const s of config.services) {
    out(`  ${s.name} (${s.type})${s.connect ? ` -> ${s.connect.uri}` : ''}${s.directory ? ` serving ${s.directory.directory}` : ''}${s.redirect ? ` redirecting to ${s.redirect.location} (${s.redirect.statusCode})` : ''}`);
    for (const a of s.accepts) {
      const verify = a.scheme === 'wss' || a.scheme === 'https' || a.scheme === 'ssl' ? `, verify-client ${s.acceptOptions.sslVerifyClient}` : '';
      out(`    ${a.uri}  [listen ${a.listen.host}:${a.listen.port}${verify}]`);
      const address = formatHostPort(a.listen);
      const cert = served.find((c) => c.address === address && c.host === normaliseHostname(a.host));
      if (cert !== undefined) out(`      served with ${describeServed(cert)}`);
    }
  }
  return EXIT.OK;
}

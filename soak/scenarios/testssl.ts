/**
 * testssl.sh against the default configuration (conf/gateway-config.xml and its development PKI), started the way a
 * user starts it, on free ports. The default listener requires a client certificate: testssl.sh notices (the
 * server asks for one) and still tests protocols, ciphers and most vulnerabilities, because the server's part of
 * the handshake comes before the refusal; checks it cannot make it reports as WARN, counted here as not tested.
 * The development CA is given to testssl.sh (`--add-ca`), as a client of this configuration would trust it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../bench/paths.js';
import { freePort } from '../../bench/procs.js';
import { launchGateway } from '../../bench/systems/gateway.js';
import { which } from '../../bench/systems/which.js';
import { DEFAULT_CONFIG, DEV_PKI_DIR, SOAK_RESULTS_DIR } from '../paths.js';
import type { Check, Figure, ScenarioOutcome } from '../report/types.js';
import { countsText, parseTestsslJson, summarize, type TestsslFinding } from '../testssl-json.js';
import type { Scenario, SoakContext } from './types.js';

const TIMEOUT_MS = 20 * 60 * 1000;
const SECURE_ACCEPT_PATH = '/echo';

export function findTestssl(): string | undefined {
  return which('testssl', ['/usr/bin', '/usr/local/bin']) ?? which('testssl.sh', ['/usr/bin', '/usr/local/bin']);
}

function runTestssl(command: string, args: readonly string[], cwd: string, ctx: SoakContext): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = ctx.procs.spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      void ctx.procs.stop(child);
      reject(new Error(`testssl.sh did not finish within ${TIMEOUT_MS / 60000} minutes`));
    }, TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (stderr.trim() !== '') ctx.note(`testssl.sh wrote on stderr: ${stderr.trim().split('\n')[0]}`);
      resolve(code);
    });
  });
}

function findingRow(f: TestsslFinding): string {
  return `| ${f.severity} | \`${f.id}\` | ${f.finding.replace(/\|/g, '\\|')}${f.cve ? ` (${f.cve})` : ''} |`;
}

export const testssl: Scenario = {
  id: 'testssl',
  title: 'testssl.sh against the default configuration',
  async run(ctx: SoakContext): Promise<ScenarioOutcome> {
    const how =
      `\`bin/gateway start -D gateway.port=P -D gateway.secure.port=Q\` on conf/gateway-config.xml (its development PKI, made ` +
      `by \`npm ci\`), then \`testssl --quiet --color 0 --warnings off -n none --severity LOW --jsonfile FILE --add-ca ` +
      `conf/dev-pki/ca.pem ${ctx.profile.testsslChecks.length > 0 ? `${ctx.profile.testsslChecks.join(' ')} ` : ''}127.0.0.1:Q\`` +
      (ctx.profile.testsslChecks.length > 0 ? ' (the quick run: those checks only).' : ' (every check testssl.sh makes by default).') +
      ' The listener requires a client certificate and testssl.sh sends none: each of its handshakes ends with the alert' +
      ' docs/tls.md describes, after the server has chosen protocol and cipher and sent its certificate, which is what' +
      ' the checks read.';
    const command = findTestssl();
    if (!command) return { how, checks: [], figures: [], skipped: 'testssl.sh is not installed: `apt-get update && apt-get install -y testssl.sh` (Debian) installs it' };
    if (!existsSync(join(DEV_PKI_DIR, 'ca.pem'))) return { how, checks: [], figures: [], skipped: 'conf/dev-pki/ is missing: `npm ci` (or `bin/gateway dev-pki`) makes it' };

    const port = await freePort();
    const securePort = await freePort();
    const gw = await launchGateway({
      procs: ctx.procs,
      args: ['--config', DEFAULT_CONFIG, '-D', `gateway.port=${port}`, '-D', `gateway.secure.port=${securePort}`, '--log-format', 'json'],
      cwd: REPO_ROOT,
      fileLimit: 4096,
    });
    if (![...gw.ports.values()].includes(securePort)) ctx.note(`testssl: the gateway did not report listening on ${securePort}${SECURE_ACCEPT_PATH}`);
    const jsonFile = join(ctx.workDir, 'testssl.json');
    const start = performance.now();
    let exit: number | null;
    try {
      exit = await runTestssl(
        command,
        [
          '--quiet',
          '--color', '0',
          '--warnings', 'off',
          '-n', 'none',
          '--connect-timeout', '10',
          '--openssl-timeout', '10',
          '--severity', 'LOW',
          '--jsonfile', jsonFile,
          '--add-ca', join(DEV_PKI_DIR, 'ca.pem'),
          ...ctx.profile.testsslChecks,
          `127.0.0.1:${securePort}`,
        ],
        ctx.workDir,
        ctx,
      );
    } finally {
      await gw.stop();
    }
    const seconds = (performance.now() - start) / 1000;
    if (!existsSync(jsonFile)) throw new Error(`testssl.sh (exit ${exit}) wrote no JSON file`);
    const text = readFileSync(jsonFile, 'utf8');
    mkdirSync(SOAK_RESULTS_DIR, { recursive: true });
    writeFileSync(join(SOAK_RESULTS_DIR, `testssl-${ctx.quick ? 'quick' : 'full'}.json`), text);
    const summary = summarize(parseTestsslJson(text));
    ctx.note(`testssl: ${countsText(summary.counts)} in ${seconds.toFixed(0)} s (exit ${exit})`);
    const { configuration, certificate } = summary.highOrCritical;
    const checks: Check[] = [
      {
        goal: 'TLS configuration: no HIGH or CRITICAL finding',
        measured: configuration.length === 0 ? 'none' : configuration.map((f) => `${f.severity} ${f.id}`).join(', '),
        pass: configuration.length === 0 && summary.scanProblems.length === 0,
      },
      {
        goal: 'server certificate (the development PKI of conf/dev-pki): no HIGH or CRITICAL finding',
        measured: certificate.length === 0 ? 'none' : certificate.map((f) => `${f.severity} ${f.id}: ${f.finding}`).join(', '),
        pass: certificate.length === 0 && summary.scanProblems.length === 0,
      },
    ];
    const figures: Figure[] = [
      { metric: 'findings by severity', value: countsText(summary.counts), unit: '' },
      { metric: 'checks testssl.sh could not make (WARN)', value: summary.notTested.length, unit: 'checks' },
      { metric: 'scan time', value: seconds, unit: 's' },
    ];
    const details: string[] = [];
    if (summary.atLeastMedium.length > 0) details.push(['Findings MEDIUM and above:', '', '| severity | id | finding |', '|---|---|---|', ...summary.atLeastMedium.map(findingRow)].join('\n'));
    if (summary.low.length > 0) details.push(`LOW: ${summary.low.map((f) => `\`${f.id}\` (${f.finding})`).join('; ')}.`);
    if (summary.notTested.length > 0) details.push(`Not tested (WARN): ${summary.notTested.map((f) => `\`${f.id}\` (${f.finding})`).join('; ')}.`);
    if (summary.scanProblems.length > 0) details.push(`Scan problems: ${summary.scanProblems.map((f) => `\`${f.id}\`: ${f.finding}`).join('; ')}.`);
    return { how, checks, figures, details: details.join('\n\n') };
  },
};

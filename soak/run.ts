/**
 * `npm run soak`: the reliability suite. Each scenario starts the real `bin/gateway` and real backends on 127.0.0.1,
 * drives them for a bounded time, stops everything it started, and judges its goals PASS or FAIL. A soak is not a
 * test: it exits 0 whenever it ran (printing which scenarios failed their goals), and non-zero only when it could
 * not run. A full run of every scenario rewrites docs/RELIABILITY.md; other runs write under soak/results/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { debVersion, describeMachine, type Machine } from '../bench/machine.js';
import { REPO_ROOT } from '../bench/paths.js';
import { makeBenchPki } from '../bench/pki.js';
import { harnessOptions, inWorkDir, runWithProcessGroup, type ProcessGroup } from '../bench/procs.js';
import { rerunWithFileLimit } from '../bench/systems/limits.js';
import { within } from '../bench/timeout.js';
import { parseSoakArgs, USAGE, writesDocs, type SoakOptions } from './args.js';
import { describeCommit } from './commit.js';
import { probeFeatures } from './features.js';
import { RELIABILITY_DOC, SOAK_RESULTS_DIR } from './paths.js';
import { renderReport, type SoakRecord } from './report/markdown.js';
import { statusOf, type ScenarioOutcome, type ScenarioReport } from './report/types.js';
import { churn } from './scenarios/churn.js';
import { faults } from './scenarios/faults.js';
import { fuzz } from './scenarios/fuzz.js';
import { held } from './scenarios/held.js';
import { slow } from './scenarios/slow.js';
import { findTestssl, testssl } from './scenarios/testssl.js';
import type { Scenario, SoakContext } from './scenarios/types.js';

const SCENARIOS: readonly Scenario[] = [held, churn, slow, faults, fuzz, testssl];
const REEXEC_ENV = 'WSS_SOAK_FILE_LIMIT_RAISED';

function say(text: string): void {
  process.stdout.write(text + '\n');
}

/** The machine, with the tools the soak uses in place of the benchmark's peers. */
function soakMachine(): Machine {
  const m = describeMachine();
  const tools: Record<string, string> = {};
  const testsslVersion = debVersion('testssl.sh') ?? (findTestssl() ? 'installed' : undefined);
  if (testsslVersion) tools['testssl.sh'] = testsslVersion;
  const openssl = m.peers['openssl (system)'];
  if (openssl) tools['openssl (system)'] = openssl;
  return { ...m, peers: tools };
}

async function runScenario(scenario: Scenario, base: Omit<SoakContext, 'workDir' | 'note'>, work: string, quick: boolean): Promise<ScenarioReport> {
  const notes: string[] = [];
  const workDir = join(work, scenario.id);
  mkdirSync(workDir);
  const ctx: SoakContext = {
    ...base,
    workDir,
    note: (text) => {
      notes.push(text);
      say(`  ${text}`);
    },
  };
  const start = performance.now();
  let outcome: ScenarioOutcome = { how: '', checks: [], figures: [] };
  let error: string | undefined;
  try {
    // testssl.sh bounds its own run; the others must finish well within this or count as stuck.
    outcome = scenario.id === 'testssl' ? await scenario.run(ctx) : await within(scenario.run(ctx), (quick ? 5 : 30) * 60000, `the ${scenario.id} scenario`);
  } catch (err) {
    error = (err as Error).message;
    say(`  could not finish: ${(err as Error).stack ?? error}`);
  } finally {
    // Whatever the scenario left behind (it stops its own processes, but it may have thrown first).
    await base.procs.stopAll();
  }
  const seconds = (performance.now() - start) / 1000;
  const report: ScenarioReport = { id: scenario.id, title: scenario.title, ...outcome, status: statusOf(outcome, error), seconds, notes, ...(error !== undefined ? { error } : {}) };
  say(`${report.status}: ${scenario.title} (${seconds.toFixed(0)} s)`);
  for (const c of report.checks) say(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.goal}: ${c.measured}`);
  if (report.skipped) say(`  skipped: ${report.skipped}`);
  return report;
}

async function run(opts: SoakOptions, procs: ProcessGroup): Promise<void> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const mode = opts.quick ? 'quick' : 'full';
  const machine = soakMachine();
  const commit = describeCommit();
  say(`soak (${mode}): ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}${commit ? `, commit ${commit.commit}` : ''}`);
  await inWorkDir('wss-soak-', procs, async (work) => {
    const pki = makeBenchPki(work);
    const features = probeFeatures(work);
    if (features.unknown.length > 0) say(`the gateway does not know ${features.unknown.join(', ')}: the scenarios that set them run without them`);
    const base = { procs, pki, tls: { ca: pki.caPem, cert: pki.clientCert, key: pki.clientKey }, profile: opts.profile, features, seed: opts.seed, quick: opts.quick };
    const reports: ScenarioReport[] = [];
    for (const scenario of SCENARIOS.filter((s) => opts.only.includes(s.id))) {
      say(`\n${scenario.id}: ${scenario.title}`);
      reports.push(await runScenario(scenario, base, work, opts.quick));
    }
    const record: SoakRecord = {
      startedAt,
      mode,
      minutes: (performance.now() - started) / 60000,
      seed: opts.seed,
      machine,
      commit,
      unknownOptions: features.unknown,
      scenarios: reports,
    };
    mkdirSync(SOAK_RESULTS_DIR, { recursive: true });
    const markdownPath = writesDocs(opts) ? RELIABILITY_DOC : join(SOAK_RESULTS_DIR, `latest-${mode}.md`);
    writeFileSync(markdownPath, renderReport(record));
    const jsonPath = join(SOAK_RESULTS_DIR, `latest-${mode}.json`);
    writeFileSync(jsonPath, JSON.stringify(record, null, 2) + '\n');

    const count = (s: string) => reports.filter((r) => r.status === s).length;
    say(`\nsoak (${mode}, ${record.minutes.toFixed(1)} min): ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('SKIPPED')} SKIPPED`);
    for (const r of reports.filter((x) => x.status === 'FAIL')) {
      const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.goal} (${c.measured})`);
      say(`FAIL ${r.id}: ${r.error ?? failed.join('; ')}`);
    }
    say(`written: ${relative(REPO_ROOT, markdownPath)}, ${relative(REPO_ROOT, jsonPath)}`);
  });
}

async function main(): Promise<number> {
  const opts = harnessOptions(parseSoakArgs, USAGE);
  if (typeof opts === 'number') return opts;
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'index.js'))) {
    process.stderr.write('the gateway is not built: run `npm run build` (npm run soak does)\n');
    return 1;
  }
  // The harness holds every client connection itself; the gateway gets its limit through prlimit.
  const reexec = rerunWithFileLimit(opts.profile.heldConnections + 4096, REEXEC_ENV);
  if (reexec !== undefined) return reexec;

  return runWithProcessGroup('soak', (procs) => run(opts, procs));
}

process.exitCode = await main();

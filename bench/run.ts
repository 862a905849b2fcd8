/**
 * `npm run bench`: starts the TCP sink, the gateway and each installed peer with the same certificates and mutual
 * TLS, drives each with the same load client, and reports every system side by side (Markdown table, JSON rows,
 * SVG chart under bench/results/) with the gateway's ratios and the project's goals. A benchmark, not a test: it
 * exits 0 whether goals are met or not, and non-zero only when it could not run.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import type { TLSSocket } from 'node:tls';
import { openLink, type ClientTls, type Endpoint } from './client/link.js';
import { describeMachine } from './machine.js';
import { RESULTS_DIR } from './paths.js';
import { makeBenchPki } from './pki.js';
import { harnessOptions, runWithProcessGroup, type ProcessGroup } from './procs.js';
import { renderDocument } from './report/document.js';
import { evaluateGoals } from './report/goals.js';
import { renderGoals, renderTable } from './report/markdown.js';
import { renderSvg } from './report/svg.js';
import { systemsOf } from './report/table.js';
import type { Row } from './report/types.js';
import { writeResults, type RunRecord } from './report/write.js';
import { bulk } from './scenarios/bulk.js';
import { churn } from './scenarios/churn.js';
import { idle } from './scenarios/idle.js';
import { keystoreRows, loadKeystoreBench } from './scenarios/keystore.js';
import { latency } from './scenarios/latency.js';
import type { Scenario, ScenarioContext } from './scenarios/types.js';
import { Sink } from './sink-client.js';
import { externalSystem } from './systems/external.js';
import { gatewaySystem } from './systems/gateway.js';
import { SYSTEMS } from './systems/index.js';
import { ownFileLimits, rerunWithFileLimit } from './systems/limits.js';
import type { SystemSpec } from './systems/types.js';
import { within } from './timeout.js';

const SCENARIOS: readonly Scenario[] = [bulk, churn, idle, latency];
const REEXEC_ENV = 'WSS_BENCH_FILE_LIMIT_RAISED';

function say(text: string): void {
  process.stdout.write(text + '\n');
}

function selectSystems(opts: BenchOptions): SystemSpec[] {
  const external = opts.endpoints.map(externalSystem);
  const builtIn = SYSTEMS.flatMap((s) => (s.name === 'gateway' && opts.gatewayWorkers > 1 ? [s, gatewaySystem(opts.gatewayWorkers)] : [s]));
  const all = [...builtIn, ...external];
  const names = all.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`--endpoint: the name "${twice}" is taken`);
  if (opts.systems.length === 0) return all;
  const unknown = opts.systems.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`--systems: unknown ${unknown.join(', ')} (known: ${names.join(', ')})`);
  return [...builtIn.filter((s) => opts.systems.includes(s.name)), ...external];
}

/** Notes what TLS a system negotiates with the client, since the cipher decides much of the bulk cost. */
async function describeTls(name: string, endpoint: Endpoint, tls: ClientTls, note: (text: string) => void): Promise<void> {
  if (endpoint.protocol === 'tcp' || endpoint.protocol === 'ws-plain') return;
  try {
    const link = await openLink(endpoint, tls);
    const socket = link.socket as TLSSocket;
    note(`${name} negotiates ${socket.getProtocol() ?? '?'} ${socket.getCipher().standardName}`);
    await link.close();
  } catch (err) {
    note(`${name}: a first test connection failed: ${(err as Error).message}`);
  }
}

async function run(opts: BenchOptions, procs: ProcessGroup): Promise<void> {
  const startedAt = new Date().toISOString();
  const mode = opts.quick ? 'quick' : 'full';
  const machine = describeMachine();
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    say(`  ${text}`);
  };
  say(`benchmark (${mode}): ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}`);

  const work = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    const pki = makeBenchPki(work);
    const tls: ClientTls = { ca: pki.caPem, cert: pki.clientCert, key: pki.clientKey };
    const chosen = selectSystems(opts);
    const sink = await Sink.start(procs, opts.sinkPort ?? 0);
    if (opts.endpoints.length > 0) say(`the sink listens on 127.0.0.1:${sink.port}`);
    const fileLimit = Math.min(ownFileLimits().hard, opts.profile.idleConnections * 2 + 1024);

    const systems: { spec: SystemSpec; skipped?: string }[] = [];
    for (const spec of chosen) {
      const missing = await spec.detect();
      if (missing) say(`skipping ${spec.name}: ${missing}`);
      systems.push(missing ? { spec, skipped: missing } : { spec });
    }
    const available = systems.filter((s) => s.skipped === undefined).map((s) => s.spec);
    const ctx: ScenarioContext = { sink, tls, profile: opts.profile, note: (t) => say(`  ${t}`) };
    const scenarioTimeoutMs = (opts.quick ? 90 : 400) * 1000;

    const rows: Row[] = [];
    const described = new Set<string>();
    for (const scenario of SCENARIOS.filter((s) => opts.only.includes(s.group as never))) {
      say(`\n${scenario.group}: ${scenario.description}`);
      for (const spec of available) {
        if (scenario.needsServer && spec.noServer) continue;
        const workDir = join(work, `${spec.name}-${scenario.group}`);
        mkdirSync(workDir);
        let running;
        try {
          running = await spec.start({ pki, sinkPort: sink.port, workDir, procs, fileLimit });
        } catch (err) {
          note(`${spec.name} did not start for ${scenario.group}: ${(err as Error).message}`);
          continue;
        }
        if (!described.has(spec.name)) {
          described.add(spec.name);
          await describeTls(spec.name, running.endpoint, tls, note);
        }
        try {
          rows.push(...(await within(scenario.run(running, spec, { ...ctx, note }), scenarioTimeoutMs, `${scenario.group} on ${spec.name}`)));
        } catch (err) {
          note(`${scenario.group} failed on ${spec.name}: ${(err as Error).message}`);
        } finally {
          await running.stop();
        }
      }
    }

    if (opts.only.includes('keystore')) {
      say('\nkeystore: the gateway loading a JCEKS key and a 150-certificate truststore');
      const mod = await loadKeystoreBench();
      if (!mod) note('keystore scenario skipped: bench/keystore.ts is not part of this build');
      else {
        try {
          const measured = keystoreRows(await mod.benchKeystore());
          for (const r of measured) say(`  ${r.metric}: ${r.value.toFixed(2)} ${r.unit}`);
          rows.push(...measured);
        } catch (err) {
          note(`keystore scenario failed: ${(err as Error).message}`);
        }
      }
    }

    const record: RunRecord = {
      startedAt,
      mode,
      machine,
      systems: systems.map(({ spec, skipped }) => (skipped ? { name: spec.name, description: spec.description, skipped } : { name: spec.name, description: spec.description })),
      notes,
      rows,
    };
    // Keystore rows are the gateway's even when --systems leaves it out of the connection scenarios.
    const columns = systemsOf(rows, [...new Set([...SYSTEMS, ...chosen].map((s) => s.name))]);
    const peers = available.filter((s) => s.peer).map((s) => s.name);
    const goals = evaluateGoals(rows);
    const svg = renderSvg(rows, columns, `WebSocket gateway benchmark (${mode}), ${machine.cpus} × ${machine.cpuModel}`);
    const markdown = renderDocument(record, goals, columns, peers, `latest-${mode}.svg`);
    const written = writeResults(RESULTS_DIR, record, markdown, svg);

    say(`\n${renderTable(rows, { systems: columns, peers })}\n`);
    say(renderGoals(goals));
    for (const g of goals) say(`goal ${g.status === 'met' ? 'met' : g.status === 'not met' ? 'NOT met' : 'not measured'}: ${g.text} (${g.measured})`);
    say(`\nwritten: ${written.markdown}, ${written.json}, ${written.svg}`);
  } finally {
    await procs.stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const opts = harnessOptions(parseBenchArgs, USAGE);
  if (typeof opts === 'number') return opts;
  // The client holds every idle connection itself.
  const reexec = rerunWithFileLimit(opts.profile.idleConnections + 1024, REEXEC_ENV);
  if (reexec !== undefined) return reexec;

  return runWithProcessGroup('benchmark', (procs) => run(opts, procs));
}

process.exitCode = await main();

/**
 * `npm run bench`: starts the TCP sink, the gateway and each installed peer with the same certificates and mutual
 * TLS, drives each with the same load client, and reports every system side by side (Markdown table, JSON rows,
 * SVG chart under bench/results/) with the gateway's ratios and the project's goals. A benchmark, not a test: it
 * exits 0 whether goals are met or not, and non-zero only when it could not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchArgs, SCENARIO_GROUPS, USAGE, type BenchOptions } from './args.js';
import type { TLSSocket } from 'node:tls';
import { openLink, type ClientTls, type Endpoint } from './client/link.js';
import { describeMachine } from './machine.js';
import { PERFORMANCE_DOC, RESULTS_DIR } from './paths.js';
import { moveProcess, onEveryCpu, placement } from './pin.js';
import { makeBenchPki } from './pki.js';
import { harnessOptions, inWorkDir, runWithProcessGroup, type ProcessGroup } from './procs.js';
import { aggregate } from './report/aggregate.js';
import { renderDocument } from './report/document.js';
import { readFindings, renderPerformance, RATIO_PEERS } from './report/performance.js';
import { evaluateGoals } from './report/goals.js';
import { renderGoals, renderTable } from './report/markdown.js';
import { renderSvg } from './report/svg.js';
import { systemsOf } from './report/table.js';
import type { Row } from './report/types.js';
import { writeResults, type RunRecord } from './report/write.js';
import { bulk } from './scenarios/bulk.js';
import { churn, resume } from './scenarios/churn.js';
import { idle } from './scenarios/idle.js';
import { keystoreRows, loadKeystoreBench } from './scenarios/keystore.js';
import { latency } from './scenarios/latency.js';
import type { Scenario, ScenarioContext } from './scenarios/types.js';
import { workers } from './scenarios/workers.js';
import { Sink } from './sink-client.js';
import { externalSystem } from './systems/external.js';
import { SYSTEMS } from './systems/index.js';
import { ownFileLimits, rerunWithFileLimit } from './systems/limits.js';
import type { SystemSpec } from './systems/types.js';
import { rotate } from './stats.js';
import { within } from './timeout.js';

const SCENARIOS: readonly Scenario[] = [bulk, churn, resume, latency, idle, workers];
const REEXEC_ENV = 'WSS_BENCH_FILE_LIMIT_RAISED';

function say(text: string): void {
  process.stdout.write(text + '\n');
}

function selectSystems(opts: BenchOptions): SystemSpec[] {
  const external = opts.endpoints.map(externalSystem);
  const all = [...SYSTEMS, ...external];
  const names = all.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`--endpoint: the name "${twice}" is taken`);
  const wanted = opts.systems.length > 0 ? opts.systems : opts.profile.defaultSystems;
  if (wanted === undefined) return all;
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`--systems: unknown ${unknown.join(', ')} (known: ${names.join(', ')})`);
  return [...SYSTEMS.filter((s) => wanted.includes(s.name)), ...external];
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

  await inWorkDir('wss-bench-', procs, async (work) => {
    const pki = makeBenchPki(work);
    const tls: ClientTls = { ca: pki.caPem, cert: pki.clientCert, key: pki.clientKey };
    const chosen = selectSystems(opts);
    const place = placement(opts.pin);
    say(place.description);
    // Children inherit the harness's CPUs: the sink shares the client's; each system is started on its own.
    if (place.client !== undefined) moveProcess(process.pid, place.client);
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
    const scenarioTimeoutMs = (opts.quick ? 90 : 300) * 1000;
    const chosenScenarios = SCENARIOS.filter((s) => opts.only.includes(s.group as never));
    const shared = chosenScenarios.filter((s) => !s.ownStart && !s.workers);
    const ownStart = chosenScenarios.filter((s) => s.ownStart && !s.workers);
    const multi = chosenScenarios.filter((s) => s.workers);
    const multiSystems = available.flatMap((s) => (s.workers ? [s.workers(opts.workers)] : []));
    for (const s of chosenScenarios) say(`${s.group}: ${s.description}`);

    const samples: Row[] = [];
    const described = new Set<string>();
    let sessions = 0;
    /** One start of `spec` on `cpus`, running `scenarios` in turn. */
    const session = async (spec: SystemSpec, scenarios: readonly Scenario[], cpus: string | undefined): Promise<void> => {
      const runnable = scenarios.filter((s) => !(s.needsServer && spec.noServer));
      if (runnable.length === 0) return;
      const workDir = join(work, `${spec.name}-${++sessions}`);
      mkdirSync(workDir);
      let running;
      try {
        running = await spec.start({ pki, sinkPort: sink.port, workDir, procs, fileLimit, cpus });
      } catch (err) {
        note(`${spec.name} did not start for ${runnable.map((s) => s.group).join(', ')}: ${(err as Error).message}`);
        return;
      }
      try {
        if (!described.has(spec.name)) {
          described.add(spec.name);
          await describeTls(spec.name, running.endpoint, tls, note);
        }
        for (const scenario of runnable) {
          if (scenario.needsTls && running.endpoint.protocol !== 'ws' && running.endpoint.protocol !== 'tls') continue;
          try {
            samples.push(...(await within(scenario.run(running, spec, { ...ctx, note }), scenarioTimeoutMs, `${scenario.group} on ${spec.name}`)));
          } catch (err) {
            note(`${scenario.group} failed on ${spec.name}: ${(err as Error).message}`);
          }
        }
      } finally {
        await running.stop();
      }
    };

    const repetitions = opts.profile.repetitions;
    for (let rep = 0; rep < repetitions; rep++) {
      say(`\nrepetition ${rep + 1} of ${repetitions}`);
      const order = rotate(available, rep);
      for (const spec of order) await session(spec, shared, place.system);
      for (const scenario of ownStart) for (const spec of order) await session(spec, [scenario], place.system);
      if (multi.length > 0 && multiSystems.length > 0) {
        // Every core for everyone: the client and the sink too, then back to their own.
        await onEveryCpu(place, [sink.pid], async () => {
          for (const spec of rotate(multiSystems, rep)) await session(spec, multi, undefined);
        });
      }
    }
    const rows = aggregate(samples);

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
      placement: place.description,
      repetitions,
      samples,
      systems: systems.map(({ spec, skipped }) => (skipped ? { name: spec.name, description: spec.description, skipped } : { name: spec.name, description: spec.description })),
      notes,
      rows,
    };
    // Keystore rows are the gateway's even when --systems leaves it out of the connection scenarios.
    const columns = systemsOf(rows, [...new Set([...SYSTEMS, ...chosen, ...multiSystems].map((s) => s.name))]);
    const peers = RATIO_PEERS.filter((p) => available.some((s) => s.name === p));
    const goals = evaluateGoals(rows);
    const svg = renderSvg(rows, columns, `WebSocket gateway benchmark (${mode}), ${machine.cpus} × ${machine.cpuModel}`);
    const markdown = renderDocument(record, goals, columns, peers, `latest-${mode}.svg`);
    const whole = opts.systems.length === 0 && opts.only.length === SCENARIO_GROUPS.length;
    const written = writeResults(RESULTS_DIR, record, markdown, svg, !whole);
    if (mode === 'full' && whole) {
      writeFileSync(PERFORMANCE_DOC, renderPerformance(record, goals, columns, peers, readFindings()));
      say(`written: ${PERFORMANCE_DOC}`);
    }

    say(`\n${renderTable(rows, { systems: columns, peers })}\n`);
    say(renderGoals(goals));
    for (const g of goals) say(`goal ${g.status === 'met' ? 'met' : g.status === 'not met' ? 'NOT met' : 'not measured'}: ${g.text} (${g.measured})`);
    say(`\nwritten: ${written.markdown}, ${written.json}, ${written.svg}`);
  });
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

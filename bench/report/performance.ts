/**
 * docs/PERFORMANCE.md, written whole by a full run: how to reproduce it, how it measures, the latest numbers and
 * goals, and what profiles found (bench/findings.md, kept by hand). The numbers and the text that explains them
 * are written together, so the document never describes a harness other than the one that made its numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PROFILES, type Profile } from '../args.js';
import { machineMarkdown } from '../machine.js';
import { FINDINGS } from '../paths.js';
import { sizeLabel } from '../scenarios/bulk.js';
import type { GoalResult } from './goals.js';
import { renderGoals, renderTable } from './markdown.js';
import type { RunRecord } from './write.js';

/**
 * The peers the gateway's ratio columns divide by: Node's floor for TLS and for a WebSocket relay, what Node gives
 * for free, and nginx.
 */
export const RATIO_PEERS: readonly string[] = ['tls-relay', 'ws-relay', 'naive', 'nginx-stream'];

export function readFindings(path = FINDINGS): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : '_No findings recorded (bench/findings.md)._';
}

function scenarioTable(): string {
  const q = PROFILES.quick;
  const f = PROFILES.full;
  const row = (name: string, what: string, pick: (p: Profile) => string) => `| ${name} | ${what} | ${pick(q)} | ${pick(f)} |`;
  const MiB = 1024 * 1024;
  return [
    '| scenario | what is measured | quick | full |',
    '|---|---|---|---|',
    row('bulk', 'one connection, client → backend, messages of one size written as fast as the system takes them: MiB/s received by the sink, and the system\'s CPU per MiB and per message', (p) => `${p.bulkSizes.map(sizeLabel).join(', ')}; ${p.bulkBytes / MiB} MiB or ${p.bulkMaxSeconds} s each, after ${p.bulkWarmupBytes / MiB} MiB or ${p.bulkWarmupSeconds} s`),
    row('churn', 'clients each looping over a new mutual-TLS connection, upgrade, one 32-byte message and its echo, close: connections/s, p50/p99 of connect → echo, CPU per connection', (p) => `${p.churnConcurrency} clients, ${p.churnSeconds} s after a warm-up of ${p.churnWarmupConnections} connections or ${p.churnWarmupSeconds} s, whichever comes first`),
    row('resume', 'as churn, each client offering the TLS session (ticket) its previous connection was given; the share of connections resumed', (p) => `${p.churnConcurrency} clients, ${p.churnSeconds} s after a warm-up of ${p.churnWarmupConnections} connections or ${p.churnWarmupSeconds} s, whichever comes first`),
    row('latency', 'connections sharing a steady rate of 32-byte messages sent on a clock (open loop); each echo timed from its write; CPU per message', (p) => `${p.latencyConnections} connections, ${p.latencyRate}/s, ${p.latencySeconds} s after ${p.latencyWarmupMs} ms`),
    row('idle', 'resident memory of the serving process tree before and after N proxied, idle connections (each carried one message to the sink and back), per connection', (p) => `N = ${p.idleConnections}`),
    row('workers', 'the multi-process modes (gateway `--workers N`, nginx `worker_processes N`, tls-relay as N processes sharing its port), unpinned: 16 connections writing 64 KiB messages at once; MiB/s received', (p) => `${p.workersConnections} connections, ${p.workersSeconds} s after ${p.workersWarmupBytes / MiB} MiB each or ${p.workersWarmupSeconds} s`),
    row('keystore', 'the gateway alone: deriving a JCEKS key and loading a 150-certificate truststore', () => 'same'),
  ].join('\n');
}

export function renderPerformance(record: RunRecord, goals: readonly GoalResult[], columns: readonly string[], peers: readonly string[], findings: string): string {
  const systems = record.systems.map((s) => `| \`${s.name}\` | ${s.skipped ? `skipped: ${s.skipped}` : s.description} |`).join('\n');
  const notes = record.notes.length > 0 ? record.notes.map((n) => `- ${n}`).join('\n') : '- none';
  return `# Performance

What the gateway costs per MiB, per message and per connection, next to Node's own floor for a TLS relay, the
proxy Node gives for free, nginx and websockify; how the numbers are made; and the latest full run. This file is
written by \`npm run bench\` (a full run of every scenario and system); the findings at the end are kept by hand in
\`bench/findings.md\`.

## Reproducing a run

\`\`\`sh
# The peers are optional: a missing one is skipped, and the benchmark prints the line that installs it.
apt-get install -y websockify python3-numpy nginx libnginx-mod-stream

npm ci
npm run bench                 # the full run (about 35 minutes on 2 cores); writes this file
npm run bench -- --quick      # smaller scenarios, under three minutes (also: npm run bench:quick)
npm run bench -- --only bulk,churn --systems gateway,tls-relay
\`\`\`

\`--only LIST\` (scenarios), \`--systems LIST\`, \`--repetitions N\` (default 3), \`--no-pin\`, \`--workers N\` (the
\`workers\` scenario's process count, default 2), \`--endpoint NAME=URL\` and \`--sink-port N\` (an endpoint running
elsewhere); \`npm run bench -- --help\` says more. Each run writes \`bench/results/latest-<mode>.md\`, \`.svg\` and
\`.json\` (every repetition's measurements as rows; JSON files are not committed); a run that \`--only\` or
\`--systems\` narrowed writes \`latest-<mode>-partial.*\` instead, which are not committed either.

Whether a change makes a connection cheaper is a smaller question than the runs above can answer: the same system
run twice in a row moves by 10% on a shared machine. \`npm run bench:compare -- --against DIR\` (\`DIR\`: another
checkout of the project, built) runs this checkout's gateway and that one at the same time on the same core, as
many clients on each, and gives the ratio of their CPU per connection (\`--scenario churn\` or \`resume\`), or one
connection on each writing messages of one size, and the ratio of their CPU per MiB (\`--scenario bulk --size BYTES\`);
\`--rounds N\`, \`--seconds N\`. Outside load slows both alike: \`--against .\` (the build against itself) stays within
1% for churn and within a few percent for bulk. \`--peer NAME\` (\`tls-relay\`, \`ws-relay\`, \`naive\`, \`nginx-stream\`,
\`websockify\`) runs that system in place of the other checkout and gives the gateway's cost over the peer's, the goals'
ratios from one core under one load (for resume, of CPU per connection rather than the goal's rate): on a machine
whose speed moves between full runs, their rounds stay within about 10–14% of each other where the full runs'
medians of the same ratio moved by a third. Sharing a core, both pay more than they would alone, so
these ratios sit beside the full run's, not in place of them. \`--system NAME\` (with \`--peer\`) puts another of those
systems in the gateway's place: \`--peer tls-relay --system ws-relay\` gives what the WebSocket floor costs over the TLS
floor, measured as the gateway is.

## How it measures

- **Pinned.** By default each system under test runs alone on the last core (\`taskset -c\`) and the load client
  and the sink share the others, so a system's numbers are not moved by the client's work or by the scheduler.
  The \`workers\` scenario alone runs unpinned, with every process free to use every core the benchmark was
  started on.
- **Interleaved repetitions.** Every scenario runs ${record.repetitions} times; each repetition runs every system
  once, in a rotated order. The tables give the median, and the range (smallest–largest) in parentheses.
- **CPU per unit of work.** The CPU time of the system's whole process tree (user + system, from
  \`/proc/PID/stat\`, exited children included) over the measured interval, divided by the MiB, messages or
  connections it carried. On a shared machine this is far steadier than a rate.
- **Warmed up.** Each measured interval follows an unmeasured one of the same work (the scenario table says how
  much), so that what is measured is the system running, not the JIT compiling its code paths for the first
  time: a Node process's first seconds of new connections cost it a third to a half more CPU per connection
  than later ones, and the more JavaScript a connection runs, the longer that lasts. Churn and resume count their
  warm-up in connections, the same number for every system however fast it connects (unless it cannot make them
  in the time allowed), and report what the warm-up's connections cost as a row of its own (\`cpu per connection,
  warm-up\`): what a scenario's first connections cost while their path is being compiled (in a run, churn's
  follow bulk's and resume's follow churn's). Bulk and workers count theirs in bytes, the same for every
  system unless the time allowed runs out first.
- **Same client, same certificates.** One load client written for the purpose (\`bench/client/\`) speaks
  WebSocket over mutual TLS (gateway, ws-relay, naive, websockify), bare mutual TLS (tls-relay, nginx stream) or TCP (the
  floor); for bulk it writes pre-built batches of masked frames, so its own cost per message is a copy. A CA, a
  server certificate and a client certificate (ECDSA P-256 keys, as devices commonly hold) are made at the start of
  each run; every system verifies the client against the CA and forwards to the same TCP sink (a Node process of
  its own that discards or echoes).
- **Each as it is run.** The gateway runs through its launcher, as operators run it, with the launcher's settings
  (docs/deployment.md). The Node peers get the same OpenSSL settings (\`bin/openssl.cnf\`: one TLS 1.3 session
  ticket after a full handshake, where OpenSSL's default is two), so that what is compared is the code, not a
  setting any of them could make ("One session ticket, not two", below).

| system | how it runs |
|---|---|
${systems}

${scenarioTable()}

## Latest full run

\`npm run bench\`, started ${record.startedAt}.

${machineMarkdown(record.machine)}
- placement: ${record.placement}
- repetitions: ${record.repetitions}, interleaved; medians with (min–max)

${renderTable(record.rows, { systems: columns, peers })}

The ratio columns divide the gateway's median by the peer's: below 1 is better for costs (ms/MiB, µs/msg,
ms/conn, ms, KiB), above 1 for rates (MiB/s, conn/s).

### Goals

${renderGoals(goals)}

### Notes from the run

${notes}

## What the profiles show

${findings}
`;
}

/** What the run ran on, for the report: numbers are meaningless without it. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release, availableParallelism, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly openssl: string;
  readonly peers: Record<string, string>;
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  readonly loadAverage: number;
}

/**
 * The CPU's name, with its family, model and clock: a hypervisor may name two generations alike ("AMD EPYC"), and
 * each system's costs move between them by different factors (bench/findings.md).
 */
function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
    const name = field('model name');
    if (name !== undefined) {
      const mhz = Number(field('cpu MHz'));
      const details = [`family ${field('cpu family') ?? '?'}`, `model ${field('model') ?? '?'}`, ...(mhz > 0 ? [`${(mhz / 1000).toFixed(1)} GHz`] : [])];
      return `${name} (${details.join(', ')})`;
    }
  } catch {
    // not Linux: fall through to what Node reports
  }
  return cpus()[0]?.model ?? 'unknown';
}

function versionOf(cmd: string, args: string[]): string | undefined {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim().split('\n')[0];
  } catch (err) {
    const e = err as { stderr?: string };
    return e.stderr?.trim().split('\n')[0];
  }
}

/** The installed version of a Debian package, if it is installed. */
export function debVersion(pkg: string): string | undefined {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function describeMachine(): Machine {
  const peers: Record<string, string> = {};
  const nginx = debVersion('nginx') ?? versionOf('nginx', ['-v']);
  if (nginx) peers['nginx'] = nginx;
  const websockify = debVersion('websockify');
  if (websockify) peers['websockify'] = websockify;
  const numpy = debVersion('python3-numpy');
  if (numpy) peers['python3-numpy'] = numpy;
  const openssl = versionOf('openssl', ['version']);
  if (openssl) peers['openssl (system)'] = openssl;
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    openssl: process.versions.openssl,
    peers,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** `label` names the other software listed (the benchmark's peers, the soak's tools). */
export function machineMarkdown(m: Machine, label = 'peers'): string {
  const peerText = Object.entries(m.peers)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `- CPU: ${m.cpus} × ${m.cpuModel}`,
    `- memory: ${m.memoryGiB} GiB; Linux ${m.kernel}; load average ${m.loadAverage} at the start`,
    `- Node ${m.node} (OpenSSL ${m.openssl})`,
    peerText ? `- ${label}: ${peerText}` : `- ${label}: none installed`,
  ].join('\n');
}

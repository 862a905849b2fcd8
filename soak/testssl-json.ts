/**
 * testssl.sh's flat JSON (`--jsonfile`): an array of findings `{id, ip, port, severity, finding, cve?, cwe?}`.
 * Severities run OK, INFO, LOW, MEDIUM, HIGH, CRITICAL; WARN marks a check that could not be made, FATAL a scan
 * that failed, DEBUG a remark. The summary separates what the server certificate is (here a development CA's,
 * conf/dev-pki) from how TLS is configured, since the fixes for the two are in different places.
 */

export interface TestsslFinding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
  readonly cve?: string;
}

export const SEVERITY_ORDER = ['OK', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
const AT_LEAST_MEDIUM = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);
const HIGH_OR_CRITICAL = new Set(['HIGH', 'CRITICAL']);

/** Throws an Error saying what is wrong with the text. */
export function parseTestsslJson(text: string): TestsslFinding[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`testssl.sh's JSON file does not parse: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error("testssl.sh's JSON file is not an array of findings (was --jsonfile-pretty used?)");
  return data.map((item, i) => {
    const f = item as Record<string, unknown>;
    if (typeof f['id'] !== 'string' || typeof f['severity'] !== 'string') throw new Error(`testssl.sh finding ${i} has no id or severity`);
    return {
      id: f['id'],
      severity: f['severity'].toUpperCase(),
      finding: typeof f['finding'] === 'string' ? f['finding'] : '',
      ...(typeof f['cve'] === 'string' && f['cve'] !== '' ? { cve: f['cve'] } : {}),
    };
  });
}

/** Findings about the server's certificate and its chain, not about the TLS settings. */
export function isCertificateFinding(id: string): boolean {
  return /^(cert|intermediate_cert|host_certificate|OCSP_|DNS_CAArecord|certificate_transparency)/i.test(id);
}

export interface TestsslSummary {
  /** Findings per severity, every severity seen (zero for the graded ones not seen). */
  readonly counts: Readonly<Record<string, number>>;
  readonly low: readonly TestsslFinding[];
  /** MEDIUM and above, most severe first. */
  readonly atLeastMedium: readonly TestsslFinding[];
  readonly highOrCritical: { readonly configuration: readonly TestsslFinding[]; readonly certificate: readonly TestsslFinding[] };
  /** Checks testssl.sh could not make (WARN). */
  readonly notTested: readonly TestsslFinding[];
  /** The scan itself failed somewhere (FATAL, or an id scanProblem). */
  readonly scanProblems: readonly TestsslFinding[];
}

function rank(severity: string): number {
  return SEVERITY_ORDER.indexOf(severity as (typeof SEVERITY_ORDER)[number]);
}

export function summarize(findings: readonly TestsslFinding[]): TestsslSummary {
  const counts: Record<string, number> = { LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  const atLeastMedium = findings.filter((f) => AT_LEAST_MEDIUM.has(f.severity)).sort((a, b) => rank(b.severity) - rank(a.severity));
  const high = findings.filter((f) => HIGH_OR_CRITICAL.has(f.severity));
  return {
    counts,
    low: findings.filter((f) => f.severity === 'LOW'),
    atLeastMedium,
    highOrCritical: { configuration: high.filter((f) => !isCertificateFinding(f.id)), certificate: high.filter((f) => isCertificateFinding(f.id)) },
    notTested: findings.filter((f) => f.severity === 'WARN'),
    scanProblems: findings.filter((f) => f.severity === 'FATAL' || f.id === 'scanProblem'),
  };
}

/** "LOW 2, MEDIUM 1, HIGH 1, CRITICAL 0, WARN 2": graded severities first, in order, then the others. */
export function countsText(counts: Readonly<Record<string, number>>): string {
  const graded = SEVERITY_ORDER.filter((s) => counts[s] !== undefined).map((s) => `${s} ${counts[s]}`);
  const others = Object.keys(counts)
    .filter((s) => rank(s) < 0)
    .sort()
    .map((s) => `${s} ${counts[s]}`);
  return [...graded, ...others].join(', ');
}

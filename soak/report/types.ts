/** What a scenario reports: its goals judged, its figures, and the words around them. */

export interface Check {
  /** The goal in words: "8000 connections held, 0 failures". */
  readonly goal: string;
  /** What was measured, in words and numbers. */
  readonly measured: string;
  readonly pass: boolean;
}

export interface Figure {
  readonly metric: string;
  readonly value: number | string;
  readonly unit: string;
}

export interface ScenarioOutcome {
  /** How the scenario runs, for the report: one short paragraph. */
  readonly how: string;
  readonly checks: readonly Check[];
  readonly figures: readonly Figure[];
  /** More Markdown after the tables (a table of findings, say). */
  readonly details?: string;
  /** Why the scenario did not run, and what would make it run. */
  readonly skipped?: string;
}

export type Status = 'PASS' | 'FAIL' | 'SKIPPED';

export interface ScenarioReport extends ScenarioOutcome {
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly seconds: number;
  readonly notes: readonly string[];
  /** Set when the scenario stopped before its end: it then fails. */
  readonly error?: string;
}

/** PASS only when there was something to judge and every goal was met. */
export function statusOf(outcome: Pick<ScenarioOutcome, 'checks' | 'skipped'>, error?: string): Status {
  if (error !== undefined) return 'FAIL';
  if (outcome.skipped !== undefined) return 'SKIPPED';
  return outcome.checks.length > 0 && outcome.checks.every((c) => c.pass) ? 'PASS' : 'FAIL';
}

/**
 * What the management service reads and acts on, given to it by the gateway that serves it (services never import
 * the gateway): the live sessions, readiness, the metrics text, the last refusals, the services and listeners, and
 * the certificate lifetimes.
 */
import type { CertificateReport } from '../../metrics/types.js';
import type { RecentRefusal } from '../../metrics/recent-refusals.js';
import type { SessionRegistry } from '../sessions.js';

export interface ServiceOverview {
  readonly name: string;
  readonly type: string;
  readonly accepts: readonly string[];
  readonly available: boolean;
}

export interface ListenerOverview {
  readonly address: string;
  readonly listening: boolean;
}

/** The last reload of the configuration, by SIGHUP, a changed file or the primary of `--workers`. */
export interface ReloadOverview {
  /** Date.now() when it ended. */
  readonly at: number;
  readonly result: 'success' | 'failure';
  /** Why it failed: the first problem, where it is. */
  readonly error: string | undefined;
}

export interface ManagementSource {
  readonly sessions: SessionRegistry;
  /** This process is a worker of `start --workers`: the API answers for every worker (cluster.ts). */
  readonly cluster: boolean;
  /** Why new clients should not be sent here; empty when ready. `services`: those whose availability counts too. */
  readiness(services?: readonly string[]): readonly string[];
  /** Prometheus text: this process's metrics, or every worker's summed. Rejects with GW_ERR_METRICS. */
  metrics(): Promise<string>;
  /** The last refusals, newest first. */
  refusals(): readonly RecentRefusal[];
  services(): readonly ServiceOverview[];
  listeners(): readonly ListenerOverview[];
  certificates(): CertificateReport;
  /** The last reload; undefined before the first. */
  lastReload(): ReloadOverview | undefined;
}

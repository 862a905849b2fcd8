/** A system under test: how to tell whether it is installed, and how to start it in front of the sink. */
import type { Endpoint } from '../client/link.js';
import type { BenchPki } from '../pki.js';
import type { ProcessGroup } from '../procs.js';

export interface SystemContext {
  readonly pki: BenchPki;
  readonly sinkPort: number;
  /** A directory of its own for configuration files and logs. */
  readonly workDir: string;
  readonly procs: ProcessGroup;
  /** File descriptors a serving process may need (two per proxied connection, and some). */
  readonly fileLimit: number;
  /** CPUs the serving processes run on (taskset -c); undefined: unpinned. */
  readonly cpus: string | undefined;
}

export interface RunningSystem {
  readonly endpoint: Endpoint;
  /** The processes whose tree serves connections (their memory is what the idle scenario reports). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export interface SystemSpec {
  readonly name: string;
  /** One line on what it is and how it runs. */
  readonly description: string;
  /** A peer the gateway is compared with (the floor is not). */
  readonly peer: boolean;
  /** Undefined when it can run here; otherwise why not and what installs it. */
  detect(): Promise<string | undefined>;
  start(ctx: SystemContext): Promise<RunningSystem>;
  /**
   * The share of the idle scenario's connections this system gets (default 1), for systems where each costs a
   * process: memory per connection is what is compared, and thousands of forks would take minutes.
   */
  readonly idleShare?: number;
  /** The serving side has no process of its own to measure (the floor). */
  readonly noServer?: boolean;
  /** The same system with `n` worker processes, for the `workers` scenario; absent when it has no such mode. */
  workers?(n: number): SystemSpec;
}

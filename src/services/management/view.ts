/**
 * What the management API reads and closes, as one interface whether the connections are this process's alone or
 * spread over the workers of `start --workers` (cluster.ts). Every call is asynchronous because the workers' part
 * of an answer crosses processes; the local view answers at once.
 */
import { closeMatching, OPERATOR_CLOSE_CODE, OPERATOR_CLOSE_REASON, page, row, type ConnectionFilter, type ConnectionPage, type ConnectionRow } from './connections.js';
import { overview, type Overview } from './overview.js';
import type { ManagementSource } from './types.js';

export interface ManagementView {
  overview(): Promise<Overview>;
  page(filter: ConnectionFilter, offset: number, limit: number): Promise<ConnectionPage>;
  /** One connection, or undefined when none has the id. */
  get(id: string): Promise<ConnectionRow | undefined>;
  /** Closes one connection as the operator's (OPERATOR_CLOSE_CODE); resolves with it as it was, or undefined when none has the id. */
  close(id: string): Promise<ConnectionRow | undefined>;
  /** Closes every connection the filter matches, likewise (none for an empty filter); resolves with their ids. */
  closeMatching(filter: ConnectionFilter): Promise<string[]>;
}

/** The view of this process's own sessions. */
export function localView(source: ManagementSource): ManagementView {
  return {
    overview: async () => overview(source),
    page: async (filter, offset, limit) => page(source.sessions, filter, offset, limit),
    get: async (id) => {
      const session = source.sessions.get(id);
      return session ? row(session, Date.now()) : undefined;
    },
    close: async (id) => {
      const session = source.sessions.get(id);
      if (!session) return undefined;
      const closed = row(session, Date.now());
      session.close(OPERATOR_CLOSE_CODE, OPERATOR_CLOSE_REASON);
      return closed;
    },
    closeMatching: async (filter) => closeMatching(source.sessions, filter),
  };
}

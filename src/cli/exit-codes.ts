/** Exit codes of `bin/gateway`; documented in the README. */
export const EXIT = {
  OK: 0,
  /** The configuration, a store or a certificate is invalid (`check` found problems, `start` refused to launch). */
  INVALID: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** The gateway could not run: an address could not be bound, or an unexpected failure. */
  RUNTIME: 3,
} as const;

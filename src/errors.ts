/**
 * Every error the gateway reports is a GatewayError with a stable code. Codes are public API: they appear in
 * logs and in `gateway check` output, users search for them, and docs/errors.md documents each one (a test keeps
 * the two in step). A code is never renamed or reused for another meaning.
 */

export interface SourcePosition {
  /** Absolute or config-relative path of the file the problem is in. */
  readonly file: string;
  /** 1-based line; absent when only the file is known. */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
}

/** The catalogue of codes, grouped by the module that raises them. The value is a one-line summary. */
export const ERROR_CODES = {
  // ── general ──────────────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_INTERNAL: 'an unexpected failure inside the gateway',
  GW_ERR_USAGE: 'the command line is not valid',
  GW_ERR_FILE_READ: 'a file named by the configuration or the command line cannot be read',
  GW_ERR_FILE_WRITE: 'a file or folder named by the command line cannot be written',
  GW_ERR_LOG_DROPPED: 'log lines were dropped because stdout was not read for a while (a warning, never fatal)',

  // ── config ───────────────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_CONFIG_XML: 'the configuration file is not well-formed XML',
  GW_ERR_CONFIG_NAMESPACE: 'the gateway-config namespace is missing or not supported',
  GW_ERR_CONFIG_UNKNOWN_ELEMENT: 'an element the schema does not allow at that place',
  GW_ERR_CONFIG_ORDER: 'an element appears out of the order the schema requires',
  GW_ERR_CONFIG_MISSING: 'a required element or value is missing',
  GW_ERR_CONFIG_DUPLICATE: 'an element that may appear once appears more than once, or a name is used twice',
  GW_ERR_CONFIG_VALUE: 'an element holds a value outside its grammar',
  GW_ERR_CONFIG_PROPERTY: 'a ${…} reference names no property',
  GW_ERR_CONFIG_URI: 'an accept or connect URI is not valid for its service',
  GW_ERR_CONFIG_UNSUPPORTED: 'the file asks for something this gateway cannot serve as written',
  GW_ERR_CONFIG_CONFLICT: 'accepts that share a host:port disagree on an option that must be equal',
  GW_ERR_CONFIG_WARNING: 'a part of the file that no served service uses (a warning, never fatal)',
  GW_ERR_CONFIG_ATTRIBUTE: 'an attribute the schema does not allow (only the root takes xmlns)',
  // (config codes end)

  // ── keystore ─────────────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_STORE_PASSWORD: 'the store password is wrong (the integrity check failed), or missing where one is needed',
  GW_ERR_STORE_FORMAT: 'the store is not of the declared type, or of no known type',
  GW_ERR_STORE_CORRUPT: 'the store is truncated or damaged',
  GW_ERR_STORE_UNSUPPORTED: 'the store uses an algorithm or entry kind this gateway does not read',
  GW_ERR_STORE_KEY_PASSWORD: 'a key entry is protected by a password other than the store password',
  GW_ERR_STORE_PEM: 'a PEM file holds no usable certificate or key, or a key that cannot be decrypted',
  GW_ERR_STORE_WARNING: 'a store was read, but less strictly than it could be (a warning, never fatal)',
  // (keystore codes end)

  // ── tls ──────────────────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_TLS_NO_CERTIFICATE: 'the keystore has no certificate entry for an accept host name, or none named by ssl.keystore.alias',
  GW_ERR_TLS_NO_KEYSTORE: 'a wss:// accept or ssl:// connect needs a keystore or truststore that is not configured',
  GW_ERR_TLS_CIPHERS: 'ssl.ciphers names no cipher this platform has',
  GW_ERR_TLS_PROTOCOLS: 'ssl.protocols names an unknown or unavailable protocol',
  GW_ERR_TLS_CONTEXT: 'the TLS library refused the keys, certificates or settings',
  GW_ERR_TLS_CRL: 'an ssl.crl file or directory cannot be read or holds something other than CRLs',
  GW_ERR_TLS_HANDSHAKE: 'a client\'s TLS handshake failed for a reason other than its certificate: no shared protocol or cipher, plain text on a TLS port, a connection lost during it',
  GW_ERR_TLS_WARNING: 'TLS settings or certificates that work but are weaker or riskier than they look, or past or near their dates (a warning, never fatal)',
  // (tls codes end)

  // ── upstream / pipe ──────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_UPSTREAM_CONNECT: 'the connection to a backend failed',
  GW_ERR_UPSTREAM_TLS: 'the backend TLS handshake failed or its certificate did not verify',
  GW_ERR_UPSTREAM_UNAVAILABLE: 'the service is down while it recovers its backend',
  GW_ERR_UPSTREAM_HANDSHAKE: 'a WebSocket backend refused the upgrade or answered it in a way the gateway cannot use',
  GW_ERR_UPSTREAM_PREPARED: 'the gateway closed a prepared connection: its backend sent more than maximum.pending.bytes before a client took it',
  // (upstream codes end)

  // ── listener / gateway ───────────────────────────────────────────────────────────────────────────────────
  GW_ERR_BIND: 'a listening address cannot be bound',
  GW_ERR_STATE: 'a lifecycle call made in the wrong state',
  GW_ERR_RELOAD: 'a reload was refused or failed; the configuration in force before it stays in force',
  GW_ERR_SESSION_CLOSED: 'a live connection was closed because the rules now in force refuse it (revoked, untrusted, access-constraint)',
  GW_ERR_CONNECTION_LIMIT: 'a connection was refused by tcp.maximum.connections (closed at once) or tcp.maximum.connections.per.address (HTTP 503)',
  GW_ERR_HANDSHAKE_TIMEOUT: 'a client did not complete its PROXY header, TLS handshake and HTTP request within ws.handshake.timeout',
  GW_ERR_NO_SERVICE: 'no service accepts the request\'s host and path on this address (HTTP 404)',
  GW_ERR_MISDIRECTED: 'a request\'s Host names another service or certificate than the SNI name its TLS connection was set up for (HTTP 421)',
  GW_ERR_PATH_DECODED: 'a plain request\'s path names another service once percent-decoded (HTTP 400)',
  // (gateway codes end)

  // ── auth ─────────────────────────────────────────────────────────────────────────────────────────────────
  GW_ERR_ACCESS_DENIED: 'a client was refused by the service\'s access-constraint rules (HTTP 403)',
  GW_ERR_CLIENT_CERTIFICATE: 'a client\'s certificate was refused: none sent where one is required, or it did not verify (expired, revoked, unknown CA, …)',
  GW_ERR_ORIGIN_DENIED: 'a browser\'s WebSocket upgrade came from an Origin the service\'s cross-site-constraint does not allow (HTTP 403)',
  GW_ERR_PROXY_PROTOCOL: 'a connection did not start with a well-formed PROXY protocol header of the configured version',
  GW_ERR_PROXY_PROTOCOL_ENCODE: 'a PROXY protocol header for a backend cannot be built from the connection\'s addresses or names',
  GW_ERR_REALM_FILE: 'a realm\'s users file, ticket secret file or token directory cannot be read or is not valid',
  GW_ERR_REALM_UNAUTHENTICATED: 'a client did not pass the service\'s realm (HTTP 401 with the realm\'s challenge)',
  GW_ERR_REALM_FORBIDDEN: 'a client passed the realm but lacks a role the service\'s authorization-constraint requires (HTTP 403)',
  GW_ERR_REALM_THROTTLED: 'a client\'s address sent a realm too many wrong passwords within a minute, and its passwords are refused (HTTP 429) until the minute ends',
  GW_ERR_REALM_TICKET: 'a client with a verified certificate was given no certificate ticket, where its realm issues them',
  // (auth codes end)

  // ── metrics / management ─────────────────────────────────────────────────────────────────────────────────
  GW_ERR_METRICS: 'the metrics of the workers could not be gathered',
  GW_ERR_MANAGEMENT_WORKERS: 'a management request could not be answered for every worker',
  GW_ERR_MANAGEMENT_REQUEST: 'a management API request was refused: wrong method, content type, or a cross-site request',
  GW_ERR_MANAGEMENT_HOST: 'a browser asked the management API for a host name none of its accepts names (HTTP 421)',
  GW_ERR_MANAGEMENT_CONNECT: 'the management API cannot be reached from the command line',
  GW_ERR_MANAGEMENT_RESPONSE: 'the management API answered a command with an error',
  GW_ERR_SESSION_NOT_FOUND: 'no live connection has the id given',
  // (management codes end)
} as const;

export type GatewayErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  readonly position?: SourcePosition | undefined;
  readonly cause?: unknown;
  /** A short hint a user can act on ("did you mean <ssl.ciphers>?"), shown after the message. */
  readonly hint?: string | undefined;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly position: SourcePosition | undefined;
  readonly hint: string | undefined;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.position = options.position;
    this.hint = options.hint;
  }

  /** `PATH:LINE:COL: error CODE: message (hint)`, the form `gateway check` prints. */
  format(severity: 'error' | 'warning' = 'error'): string {
    return formatDiagnostic(severity, this.code, this.message, this.position, this.hint);
  }
}

/**
 * Several problems found in one attempt (every address a start could not bind), thrown together so that a user fixes
 * them in one round rather than meet the next at each try. Its message joins theirs; `errors` keeps each with its
 * own position and hint.
 */
export class AggregateGatewayError extends GatewayError {
  readonly errors: readonly GatewayError[];

  constructor(code: GatewayErrorCode, errors: readonly GatewayError[]) {
    super(code, errors.map((e) => e.message).join('; '));
    this.name = 'AggregateGatewayError';
    this.errors = errors;
  }
}

/** Each problem a thrown GatewayError stands for: those of an AggregateGatewayError, else itself. */
export function eachError(e: GatewayError): readonly GatewayError[] {
  return e instanceof AggregateGatewayError ? e.errors : [e];
}

export function formatDiagnostic(
  severity: 'error' | 'warning',
  code: GatewayErrorCode,
  message: string,
  position?: SourcePosition,
  hint?: string,
): string {
  const where = position ? formatPosition(position) + ': ' : '';
  return `${where}${severity} ${code}: ${message}${hint ? ` (${hint})` : ''}`;
}

export function formatPosition(p: SourcePosition): string {
  if (p.line === undefined) return p.file;
  return p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/**
 * Wraps any thrown value so callers can rely on a GatewayError. An existing one keeps its code and message; when it
 * has no position and the caller knows one (the config element that led to it), it gets that position.
 */
export function toGatewayError(e: unknown, code: GatewayErrorCode, message: string, position?: SourcePosition): GatewayError {
  if (e instanceof GatewayError) {
    if (e.position !== undefined || position === undefined) return e;
    return new GatewayError(e.code, e.message, { position, cause: e.cause ?? e, hint: e.hint });
  }
  const detail = e instanceof Error ? e.message : String(e);
  return new GatewayError(code, `${message}: ${detail}`, { cause: e, position });
}

/** Why a file could not be read, in words (`no such file`), from the error Node's fs raised. */
export function fileErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

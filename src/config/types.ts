/**
 * The typed, validated, frozen configuration that the rest of the gateway consumes. Nothing outside src/config
 * sees XML: every value here is already parsed (sizes in bytes, intervals in milliseconds), defaulted, and
 * checked against the cross-field rules. Positions point back into the file for error messages raised later
 * (for example when a keystore named here turns out to have the wrong password).
 */
import type { GatewayErrorCode, SourcePosition } from '../errors.js';
import type { Scheme } from './uris.js';

export type { SourcePosition };

export type VerifyClient = 'none' | 'optional' | 'required';
export type StoreType = 'JKS' | 'JCEKS' | 'PKCS12' | 'PEM';
export type ServiceType = 'proxy' | 'echo' | 'directory' | 'http.redirect' | 'management.http';
export type ConnectStrategy = 'immediate' | 'deferred' | 'prepared';
export type { Scheme } from './uris.js';
/** PROXY protocol version read from downstream (accept) or sent upstream (connect); `none` = no header. */
export type ProxyProtocol = 'none' | 'v1' | 'v2';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface AcceptOptions {
  readonly sslVerifyClient: VerifyClient;
  /** As written (Kaazing/Java or OpenSSL names, comma-separated); undefined means the gateway's default. */
  readonly sslCiphers: string | undefined;
  /** Normalised protocol names (`TLSv1.2`, `TLSv1.3`, …); undefined means TLSv1.2 and up. */
  readonly sslProtocols: readonly string[] | undefined;
  /** `ssl.encryption disabled` on a wss:// accept serves plain ws on that address. */
  readonly sslEncryption: boolean;
  /** Where to listen instead of the accept URI's host:port, from `ws.bind`/`wss.bind`/… (bare port = 0.0.0.0). */
  readonly bind: HostPort | undefined;
  /** `ws.maximum.message.size` in bytes (default 128 KiB). */
  readonly wsMaximumMessageSize: number;
  /** `ws.inactivity.timeout` in ms; 0 = off. */
  readonly wsInactivityTimeoutMs: number;
  /** `http.keepalive.timeout` in ms (default 30 s). */
  readonly httpKeepaliveTimeoutMs: number;
  /** `ssl.crl`: absolute path of a PEM/DER CRL file or of a directory of them; undefined = no revocation check. */
  readonly sslCrl: string | undefined;
  /** Where `ssl.crl` was given, for a CRL that cannot be read. */
  readonly sslCrlPosition?: SourcePosition | undefined;
  /** `ssl.verify-depth`: most intermediate CAs allowed between a client certificate and its trust anchor. */
  readonly sslVerifyDepth: number | undefined;
  /** `tcp.proxy-protocol`: the PROXY header version a load balancer in front sends (default `none`). */
  readonly tcpProxyProtocol: ProxyProtocol;
  /** `tcp.proxy-protocol.trusted`: addresses or CIDR blocks allowed to send that header, as written. */
  readonly tcpProxyProtocolTrusted: readonly string[];
  /** `ws.handshake.timeout` in ms: from TCP accept to a completed WebSocket upgrade (default 10 s). */
  readonly wsHandshakeTimeoutMs: number;
  /** `tcp.maximum.connections`: open connections per listening address (default 10000). */
  readonly tcpMaximumConnections: number;
  /** `tcp.maximum.connections.per.address`: open connections per client address; undefined = unlimited. */
  readonly tcpMaximumConnectionsPerAddress: number | undefined;
}

/**
 * A variable of an `<http.header>` template other than a subject attribute: the client as a trusted PROXY header
 * names it (else the socket peer), the SNI name, and facts of its certificate (docs/configuration.md).
 */
export type HeaderVariable =
  | 'client.address'
  | 'client.port'
  | 'sni'
  | 'ssl.client.subject'
  | 'ssl.client.fingerprint'
  | 'ssl.client.serial'
  | 'ssl.client.verified'
  | 'ssl.client.cert'
  | 'ssl.client.chain';

/** One piece of a parsed `<http.header>` template. */
export type TemplatePart =
  /** Literal text, `{{` already turned into `{`; holds no control character. */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'variable'; readonly variable: HeaderVariable }
  /**
   * `{ssl.client.<attribute>}`: every value of one subject attribute. `attribute` is the keyword the gateway
   * prints in subjects (`CN`, `OU`, `EMAILADDRESS`, `SERIALNUMBER`, …), upper case, whatever spelling was written.
   */
  | { readonly kind: 'attribute'; readonly attribute: string };

/** One `<http.header>` connect-option as written: `NAME: TEMPLATE`, split at the first colon. */
export interface HttpHeaderConfig {
  /** The header name as written (compared case-insensitively). */
  readonly name: string;
  /** The value template as written, e.g. `{ssl.client.CN}`. */
  readonly template: string;
  /** The template parsed: literal text and variables, in order; every variable was checked when read. */
  readonly parts: readonly TemplatePart[];
  readonly position: SourcePosition;
}

export interface ConnectOptions {
  /** `ssl.keystore.alias`: the keystore entry presented to a wss:// or ssl:// backend; undefined = the first. */
  readonly sslKeystoreAlias: string | undefined;
  /** `http.header`: headers sent to a ws:// or wss:// backend with the upgrade, in document order. */
  readonly httpHeaders: readonly HttpHeaderConfig[];
  /** `ws.inactivity.timeout` towards a ws:// or wss:// backend, in ms; 0 = off. */
  readonly wsInactivityTimeoutMs: number;
  readonly sslCiphers: string | undefined;
  readonly sslProtocols: readonly string[] | undefined;
  /** Local address to connect from (`tcp.bind`). */
  readonly tcpBind: HostPort | undefined;
  /** `tcp.proxy-protocol`: the PROXY header sent to the backend before any byte (default `none`). */
  readonly tcpProxyProtocol: ProxyProtocol;
  /** `tcp.resolve.ttl`: how long the addresses of the connect's host name are reused, in ms; 0 = looked up at every connect. */
  readonly tcpResolveTtlMs: number;
}

export interface AcceptUri {
  /** The URI as written after ${} substitution. */
  readonly uri: string;
  readonly scheme: Scheme;
  /** Lower-cased host name from the URI: what the server certificate must match and the Host header is routed by. */
  readonly host: string;
  readonly port: number;
  /** Path without a trailing slash; `/` for the root. */
  readonly path: string;
  /** The address actually bound: the bind option if given, else host:port of the URI. */
  readonly listen: HostPort;
  readonly position: SourcePosition;
}

export interface ConnectUri {
  readonly uri: string;
  readonly scheme: Scheme;
  readonly host: string;
  readonly port: number;
  /** The WebSocket path of a ws:// or wss:// backend; `/` for tcp:// and ssl://. */
  readonly path: string;
  readonly position: SourcePosition;
}

export interface ProxyProperties {
  /** Bytes queued per direction before the source is paused; reading resumes at half. Default 64000. */
  readonly maximumPendingBytes: number;
  /** Seconds; > 0 turns on accept take-down and backoff reconnects while the backend is down. Default 0. */
  readonly maximumRecoveryIntervalS: number;
  readonly connectStrategy: ConnectStrategy;
  /** `prepared.connection.count`: backend connections kept open ahead of clients with connect.strategy prepared. */
  readonly preparedConnectionCount: number;
  /**
   * `close.timeout` in ms: once one side of a connection has closed, how long the other may go without sending or
   * taking a byte before it is cut (a close handshake not finished, a half-closed request's answer). Default 5000.
   */
  readonly closeTimeoutMs: number;
  /** `idle.timeout` in ms: a connection through which no byte has moved either way for this long is closed. 0 = never. */
  readonly idleTimeoutMs: number;
}

export interface CrossSiteConstraint {
  /** `*` or an origin (`https://app.example.com`, port optional). */
  readonly allowOrigin: string;
  readonly allowMethods: string | undefined;
  readonly allowHeaders: string | undefined;
  readonly maximumAgeS: number | undefined;
  readonly position: SourcePosition;
}

/**
 * One `<access-constraint>`: a client is admitted when every condition given holds; a condition repeated holds
 * when any of its values matches. Values are syntax-checked but kept as written: the auth module compiles them.
 */
export interface AccessConstraintConfig {
  /** `<client-subject>`: RFC 4514 attribute=value lists, e.g. `OU=devices, O=Acme`. */
  readonly subjects: readonly string[];
  /** `<client-san>`: `DNS:…`, `URI:…`, `EMAIL:…` or `IP:…` (an address or CIDR block). */
  readonly sans: readonly string[];
  /** `<client-fingerprint>`: SHA-256 of the certificate, colon hex or plain hex. */
  readonly fingerprints: readonly string[];
  /** `<client-address>`: IPv4/IPv6 addresses or CIDR blocks. */
  readonly addresses: readonly string[];
  /** `<path-identity>`: a subject attribute (`CN`) or `SAN:DNS`, `SAN:URI`, `SAN:EMAIL`, `SAN:IP`. */
  readonly pathIdentity: string | undefined;
  readonly position: SourcePosition;
}

/** A parsed `<cache-control>` (config/cache-control.ts). */
export interface CacheControl {
  /** Directives without a value (`no-cache`, `public`, …), as written, lower case. */
  readonly flags: readonly string[];
  /** Valued directives other than max-age (`s-maxage`), in seconds. */
  readonly values: readonly { readonly name: string; readonly seconds: number }[];
  /** `max-age=N`, in seconds. */
  readonly maxAgeS: number | undefined;
  /** `max-age=m+N`: N seconds after the file was last modified. */
  readonly maxAgeAfterModifiedS: number | undefined;
}

/** One `<location>` of a directory service: files matching any of its patterns get its cache-control. */
export interface DirectoryLocation {
  /** Ant-style patterns (`**\/*.js`), matched case-insensitively against the path below the directory. */
  readonly patterns: readonly string[];
  readonly cacheControl: CacheControl;
  readonly position: SourcePosition;
}

/** A directory service's `<properties>`. */
export interface DirectoryProperties {
  /** Absolute path of the directory served (`directory`, resolved as docs/configuration.md says). */
  readonly directory: string;
  /** `welcome-file`: the file served for a request naming a directory (no default: Kaazing has none). */
  readonly welcomeFile: string | undefined;
  /** `error-pages-directory`: absolute path of a directory holding `404.html` and the like. */
  readonly errorPagesDirectory: string | undefined;
  /** `options` `indexes`: a directory without a welcome file is listed. */
  readonly indexes: boolean;
  readonly locations: readonly DirectoryLocation[];
}

/** A management.http service's `<properties>` (config/management-properties.ts). */
export interface ManagementProperties {
  /** Reading only: requests that change something (closing connections) are refused with 405. */
  readonly readOnly: boolean;
}

/** An http.redirect service's `<properties>`. */
export interface RedirectProperties {
  /** An absolute http(s) URL without query, fragment or trailing slash: the request's path and query follow it. */
  readonly location: string;
  /** 300–399; 301 unless `status-code` says otherwise. */
  readonly statusCode: number;
  /** The `cache-control` values joined with `, `; undefined when none was given. */
  readonly cacheControl: string | undefined;
}

/** `<mime-mapping>`: the Content-Type for files with an extension. */
export interface MimeMapping {
  /** Lower case, without a leading dot. */
  readonly extension: string;
  readonly mimeType: string;
  readonly position: SourcePosition;
}

export interface ServiceConfig {
  readonly name: string;
  readonly description: string | undefined;
  readonly type: ServiceType;
  readonly accepts: readonly AcceptUri[];
  /** For proxy: exactly the first connect Kaazing would use (legacy `<properties><connect>` included). */
  readonly connect: ConnectUri | undefined;
  readonly properties: ProxyProperties;
  readonly acceptOptions: AcceptOptions;
  readonly connectOptions: ConnectOptions;
  readonly crossSiteConstraints: readonly CrossSiteConstraint[];
  /** In document order; empty = no constraint beyond TLS. */
  readonly accessConstraints: readonly AccessConstraintConfig[];
  /** `<realm-name>`: the realm clients must pass (docs/configuration.md, "Realms"); undefined = none. */
  readonly realmName: string | undefined;
  /** Every `<authorization-constraint>` of the service folded into one; undefined without any. */
  readonly authorization: AuthorizationConstraintConfig | undefined;
  /** A directory service's properties; undefined for other types. */
  readonly directory: DirectoryProperties | undefined;
  /** An http.redirect service's properties; undefined for other types. */
  readonly redirect: RedirectProperties | undefined;
  /** A management.http service's properties; undefined for other types. */
  readonly management?: ManagementProperties | undefined;
  /** The service's `<mime-mapping>`s over those of `<service-defaults>` (the service's own win, by extension). */
  readonly mimeMappings: readonly MimeMapping[];
  readonly position: SourcePosition;
}

/**
 * The service's `<authorization-constraint>`s: a client that passed the realm must hold every `<require-role>`;
 * `<require-valid-user/>` alone asks for nothing beyond passing the realm (Kaazing's role `*`).
 */
export interface AuthorizationConstraintConfig {
  readonly requireRoles: readonly string[];
  readonly requireValidUser: boolean;
  readonly position: SourcePosition;
}

/** `<http-challenge-scheme>` values this gateway serves; Kaazing's Negotiate schemes are refused. */
export type ChallengeScheme = 'Basic' | 'Application Basic' | 'Application Token';
/** A login module's `<success>`: JAAS's control flags. */
export type LoginModuleFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

interface LoginModuleBase {
  readonly success: LoginModuleFlag;
  readonly position: SourcePosition;
}

/** `file`: Kaazing's users file (`jaas-config.xml`), absolute; Basic credentials from `Authorization`. */
export interface FileLoginModuleConfig extends LoginModuleBase {
  readonly type: 'file';
  readonly file: string;
}

/** `certificate-ticket`: a signed cookie standing for a verified client certificate (docs/configuration.md). */
export interface CertificateTicketLoginModuleConfig extends LoginModuleBase {
  readonly type: 'certificate-ticket';
  /** Absolute path: one secret per line, the first signs, every one verifies. */
  readonly secretFile: string;
  /** `max-age` in seconds: how long a ticket is valid after it is issued (default 3600). */
  readonly maxAgeS: number;
}

/** `token-directory`: a token is valid while a file of exactly its name exists in `directory`. */
export interface TokenDirectoryLoginModuleConfig extends LoginModuleBase {
  readonly type: 'token-directory';
  /** Absolute path of the directory. */
  readonly directory: string;
}

export type LoginModuleConfig = FileLoginModuleConfig | CertificateTicketLoginModuleConfig | TokenDirectoryLoginModuleConfig;

/** One `<security><realm>`. */
export interface RealmConfig {
  readonly name: string;
  readonly description: string | undefined;
  readonly challengeScheme: ChallengeScheme;
  /** Where tokens may come from besides `Authorization`: request headers, query parameters, cookies (names as written). */
  readonly httpHeaders: readonly string[];
  readonly httpQueryParameters: readonly string[];
  readonly httpCookies: readonly string[];
  /** `authorization-timeout` in ms: a WebSocket admitted by this realm is closed after it (1008); undefined = never. */
  readonly authorizationTimeoutMs: number | undefined;
  readonly loginModules: readonly LoginModuleConfig[];
  readonly position: SourcePosition;
}

export interface StoreConfig {
  /** From `<type>`, upper-cased; undefined = detect from extension then content. */
  readonly type: StoreType | undefined;
  /** Absolute path, resolved against the config file's directory. */
  readonly file: string;
  /** Absolute path of the password file, if any. */
  readonly passwordFile: string | undefined;
  readonly position: SourcePosition;
}

export interface SecurityConfig {
  readonly keystore: StoreConfig | undefined;
  readonly truststore: StoreConfig | undefined;
  /** The realms some service names (a realm no service names is only warned about and left out). */
  readonly realms: readonly RealmConfig[];
}

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: GatewayErrorCode;
  readonly message: string;
  readonly position: SourcePosition | undefined;
  readonly hint: string | undefined;
}

/**
 * One address the gateway listens on and the accepts (of any service) that bind it. They agree on every option the
 * listener holds (rules.ts), so `options` are those of the first accept's service.
 */
export interface ListenerConfig {
  readonly listen: HostPort;
  /** `host:port` (`[v6]:port`), as messages name it. */
  readonly address: string;
  /** TLS towards clients: wss:// or ssl:// without `ssl.encryption disabled`. */
  readonly tls: boolean;
  /**
   * With `tls`: plain ws:// accepts share the address too (Kaazing allows ws:// and wss:// on one port); the
   * first byte of each connection tells TLS from plain HTTP.
   */
  readonly plain: boolean;
  /** tcp:// or ssl://: clients are byte streams, for the one service of the address. */
  readonly stream: boolean;
  /** The options the address's server holds: those of its first TLS accept's service, if any, else its first's. */
  readonly options: AcceptOptions;
  /** `secure`: served over TLS (on an address shared by ws:// and wss://, each is routed among its own kind). */
  readonly accepts: readonly { readonly accept: AcceptUri; readonly service: string; readonly secure: boolean }[];
}

export interface GatewayConfig {
  /** Absolute path of the file that was read. */
  readonly file: string;
  readonly namespace: string;
  readonly services: readonly ServiceConfig[];
  /** One per bound address, in the order the accepts first name them. */
  readonly listeners: readonly ListenerConfig[];
  readonly security: SecurityConfig;
  /** Non-fatal findings (unused realms, cluster, …), for the CLI to log at start-up and print in `check`. */
  readonly warnings: readonly Diagnostic[];
}

export interface LoadConfigOptions {
  /** `-D name=value` values; they win over `<properties>`. */
  readonly defines?: Readonly<Record<string, string>>;
  /** Value of `${hostname}`; defaults to os.hostname(). Injected so tests are deterministic. */
  readonly hostname?: string;
}

/**
 * Either a config or every problem found; never both a config and errors. With errors, `partial` holds the
 * security and the services that were read without one, so that their stores and certificates can still be
 * checked in the same round (undefined when the file could not be read as a gateway configuration at all).
 */
export type LoadConfigResult =
  | { readonly ok: true; readonly config: GatewayConfig; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[]; readonly partial?: PartialConfig | undefined };

export interface PartialConfig {
  readonly config: GatewayConfig;
  /** Services with errors, left out of `config`: what depends on them is checked once they are fixed. */
  readonly incomplete: readonly string[];
}

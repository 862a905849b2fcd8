/**
 * How `bin/gateway status` and `sessions` reach the management API: an HTTP or HTTPS request to the accept of a
 * `management.http` service, presenting a client certificate from any store the gateway reads when the service
 * verifies clients. Every failure is a GatewayError: GW_ERR_MANAGEMENT_CONNECT when the API cannot be reached,
 * GW_ERR_MANAGEMENT_RESPONSE (or the API's own code) when it answers with an error.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { GatewayError, isGatewayError, type GatewayErrorCode, ERROR_CODES } from '../errors.js';
import { loadStoreFile } from '../keystore/index.js';
import { missingKeyReason, prepareClientTls } from '../tls/client.js';
import { requireStores } from './connect-args.js';
import { inFlagWords } from './connect-diagnostics.js';

export const MANAGEMENT_URL_ENV = 'GATEWAY_MANAGEMENT_URL';
const REQUEST_TIMEOUT_MS = 10_000;

export interface ManagementOptions {
  readonly url?: string | undefined;
  readonly keystore?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly keystoreType?: string | undefined;
  readonly alias?: string | undefined;
  readonly truststore?: string | undefined;
  readonly truststorePasswordFile?: string | undefined;
  readonly truststoreType?: string | undefined;
}

export interface ManagementClient {
  /** Sends the request and resolves with the parsed JSON answer of a 2xx status. */
  call(method: 'GET' | 'DELETE', path: string, query?: Record<string, string | undefined>): Promise<unknown>;
  readonly url: URL;
}

function baseUrl(raw: string | undefined): URL {
  const text = raw ?? process.env[MANAGEMENT_URL_ENV];
  if (text === undefined || text === '') {
    throw new GatewayError('GW_ERR_USAGE', `give --url, the address of the management.http service's accept (or set ${MANAGEMENT_URL_ENV})`, {
      hint: 'for example --url https://localhost:9443/manage',
    });
  }
  // `localhost:9443/manage` parses as a URL of scheme "localhost:", and `127.0.0.1:9443` not at all.
  const noScheme = (): GatewayError => new GatewayError('GW_ERR_USAGE', `--url "${text}" has no scheme: write http:// or https:// before it`, { hint: `for example --url https://${text}` });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    if (!text.includes('://')) throw noScheme();
    throw new GatewayError('GW_ERR_USAGE', `--url "${text}" is not a URL`, { hint: 'for example --url https://localhost:9443/manage' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    if (!text.includes('://')) throw noScheme();
    throw new GatewayError('GW_ERR_USAGE', `--url must be http:// or https://, not ${url.protocol}//`);
  }
  return url;
}

/** Runs `read`, telling a problem it finds in the flags' words (`--alias`, not `ssl.keystore.alias`). */
function byFlag<T>(storeFlag: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!isGatewayError(e)) throw e;
    const hint = e.hint === undefined ? undefined : inFlagWords(e.hint, storeFlag);
    throw new GatewayError(e.code, inFlagWords(e.message, storeFlag), { cause: e, hint, position: e.position });
  }
}

function tlsOptions(url: URL, opts: ManagementOptions): ConnectionOptions | undefined {
  requireStores(opts);
  if (url.protocol !== 'https:') {
    if (opts.keystore !== undefined || opts.truststore !== undefined) throw new GatewayError('GW_ERR_USAGE', '--keystore and --truststore need an https:// --url');
    return undefined;
  }
  const keystoreFile = opts.keystore;
  const keystore =
    keystoreFile === undefined
      ? undefined
      : byFlag('--keystore', () => loadStoreFile({ file: keystoreFile, type: opts.keystoreType, passwordFile: opts.passwordFile, role: 'keystore' }));
  // Given to present a certificate, a store with no key would only lead to the server's "certificate required".
  const noKey = keystore && missingKeyReason(keystore);
  if (noKey) {
    throw new GatewayError('GW_ERR_USAGE', `--keystore ${opts.keystore} has no client certificate to present: ${noKey}`, {
      hint: 'give a store with the key and its certificate; for PEM files, one file with both (cat client.key client.pem > client-keystore.pem)',
    });
  }
  const truststoreFile = opts.truststore;
  const truststore =
    truststoreFile === undefined
      ? undefined
      : byFlag('--truststore', () => loadStoreFile({ file: truststoreFile, type: opts.truststoreType, passwordFile: opts.truststorePasswordFile, role: 'truststore' }));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return byFlag('--keystore', () => prepareClientTls({ host, keystore, truststore, alias: opts.alias, ciphers: undefined, protocols: undefined, where: url.origin }).options);
}

function isCode(code: unknown): code is GatewayErrorCode {
  return typeof code === 'string' && code in ERROR_CODES;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}

/** `timeoutMs`: how long a call may take in all, from the connect to the last byte of the answer. */
export function managementClient(opts: ManagementOptions, timeoutMs = REQUEST_TIMEOUT_MS): ManagementClient {
  const url = baseUrl(opts.url);
  const tls = tlsOptions(url, opts);
  const base = url.pathname.replace(/\/+$/, '');
  return {
    url,
    call: (method, path, query = {}) =>
      new Promise<unknown>((resolveCall, rejectCall) => {
        let deadline: NodeJS.Timeout | undefined;
        const resolve = (value: unknown): void => {
          clearTimeout(deadline);
          resolveCall(value);
        };
        const reject = (err: unknown): void => {
          clearTimeout(deadline);
          rejectCall(err);
        };
        const unreachable = (err: NodeJS.ErrnoException): void => {
          if (isGatewayError(err)) return reject(err);
          const why = err.code ? `${err.code}: ${err.message}` : err.message;
          reject(new GatewayError('GW_ERR_MANAGEMENT_CONNECT', `cannot reach the management API at ${url.origin}: ${why}`, { cause: err }));
        };
        const target = new URL(url.href);
        target.pathname = `${base}${path}`;
        for (const [k, v] of Object.entries(query)) if (v !== undefined) target.searchParams.set(k, v);
        const headers: Record<string, string> = { Accept: 'application/json' };
        // What request-guard.ts asks of a request that changes something.
        if (method !== 'GET') Object.assign(headers, { 'X-Gateway-Request': '1', 'Content-Type': 'application/json' });
        const send = tls ? httpsRequest : httpRequest;
        const req = send(target, { method, headers, ...(tls ?? {}) }, (res) => {
          readBody(res).then((body) => {
            const status = res.statusCode ?? 0;
            let parsed: unknown;
            try {
              parsed = JSON.parse(body);
            } catch {
              parsed = undefined;
            }
            if (status >= 200 && status < 300 && parsed !== undefined) return resolve(parsed);
            const apiError = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            const message = typeof apiError?.message === 'string' ? apiError.message : body.trim().slice(0, 200) || res.statusMessage || 'no body';
            const code = isCode(apiError?.code) ? apiError.code : 'GW_ERR_MANAGEMENT_RESPONSE';
            // Not the management API's answer: another service's (a directory's 404), or something else that answers
            // there. The gateway's own refusals (401, 403, 503) are not that. Named without any credentials in the URL.
            const elsewhere = apiError === undefined && (status === 404 || (status >= 200 && status < 300));
            const hint = elsewhere ? `is ${url.origin}${url.pathname} the accept of a management.http service? --url takes that accept (docs/management.md)` : undefined;
            reject(new GatewayError(code, `${method} ${target.pathname} answered ${status}: ${message}`, hint === undefined ? {} : { hint }));
          }, unreachable);
        });
        req.on('error', unreachable);
        // One deadline for the whole call: the request's own `timeout` is an idle timer, which the TCP connect and
        // then the TLS handshake each start again, so a server that never answered took twice as long as said.
        deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        req.end();
      }),
  };
}

/**
 * Headless Chromium (Debian's `chromium`, never a downloaded browser) driven by playwright-core, for end-to-end
 * tests that need a real browser: optionally presenting a client certificate and trusting a test CA.
 *
 * Chromium on Linux reads certificates from the NSS database in `$HOME/.pki/nssdb`, so each launch gets a fresh
 * temporary HOME whose database holds the CA (trusted for TLS servers) and the client's key and certificate
 * (imported with `certutil` and `pk12util` from Debian's libnss3-tools). A headless browser cannot ask which
 * certificate to present; Chromium's `AutoSelectCertificateForUrls` policy chooses it, and a policy cannot be
 * given on the command line: on Linux it is read from /etc/chromium/policies/managed/, which needs root. So a launch
 * with a client certificate writes a policy file there (and removes it in cleanup), and `browserSkipReason` says
 * why when it cannot.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const POLICY_DIR = '/etc/chromium/policies/managed';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A client certificate to present: a PKCS12 file's bytes and password, or PEM certificate and key. */
export type ClientCertificate = { readonly pkcs12: Buffer; readonly password: string } | { readonly cert: string; readonly key: string };

export interface BrowserOptions {
  /** PEM certificate of a CA the browser trusts for TLS servers (the test PKI's). */
  readonly trustedCa?: string;
  /** Presented to every server that asks for a certificate from its issuer. */
  readonly clientCertificate?: ClientCertificate;
}

export interface LaunchedBrowser {
  /** The browser's one context (a persistent one, on a fresh user-data-dir). */
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the browser and removes its HOME, user-data-dir and policy file. Safe to call twice. */
  cleanup(): Promise<void>;
}

function missingTool(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium)`;
  for (const tool of ['certutil', 'pk12util']) {
    try {
      execFileSync(tool, ['-H'], { stdio: 'ignore' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed (apt-get install libnss3-tools)`;
    }
  }
  return undefined;
}

/**
 * Why a browser test cannot run here, or undefined when it can. With `clientCertificate`, the policy directory
 * must also be writable (root; CI runs as root).
 */
export function browserSkipReason(options: { readonly clientCertificate?: boolean } = {}): string | undefined {
  const missing = missingTool();
  if (missing !== undefined) return missing;
  if (options.clientCertificate) {
    try {
      mkdirSync(POLICY_DIR, { recursive: true });
      accessSync(POLICY_DIR, constants.W_OK);
    } catch {
      return `a client certificate needs Chromium's AutoSelectCertificateForUrls policy in ${POLICY_DIR}, which only root may write`;
    }
  }
  return undefined;
}

function pkcs12Of(cert: ClientCertificate): { der: Buffer; password: string } {
  if ('pkcs12' in cert) return { der: cert.pkcs12, password: cert.password };
  const password = 'browser-test';
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(cert.key), [forge.pki.certificateFromPem(cert.cert)], password, { algorithm: '3des' });
  return { der: Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'), password };
}

/** The issuer CN of the client certificate, which the policy selects it by. */
function issuerCommonName(cert: ClientCertificate, pkcs12: { der: Buffer; password: string }): string {
  let pem: string;
  if ('cert' in cert) pem = cert.cert;
  else {
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pkcs12.der.toString('binary')), pkcs12.password);
    const certBag = forge.pki.oids.certBag as string;
    const bag = p12.getBags({ bagType: certBag })[certBag]?.[0];
    if (!bag?.cert) throw new Error('the PKCS12 file holds no certificate');
    pem = forge.pki.certificateToPem(bag.cert);
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(pem).issuer)?.[1];
  if (cn === undefined) throw new Error('the client certificate\'s issuer has no CN to select it by');
  return cn;
}

/** Launches Chromium on a fresh HOME and user-data-dir; the caller must call cleanup(). */
export async function launchBrowser(options: BrowserOptions = {}): Promise<LaunchedBrowser> {
  const skip = browserSkipReason({ clientCertificate: options.clientCertificate !== undefined });
  if (skip !== undefined) throw new Error(`cannot launch a browser: ${skip}`);
  const root = mkdtempSync(join(tmpdir(), 'gw-browser-'));
  const home = join(root, 'home');
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  let policyFile: string | undefined;
  let context: BrowserContext | undefined;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await context?.close().catch(() => undefined);
    if (policyFile !== undefined) rmSync(policyFile, { force: true });
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const db = `sql:${nssdb}`;
    execFileSync('certutil', ['-N', '-d', db, '--empty-password'], { stdio: 'pipe' });
    if (options.trustedCa !== undefined) {
      writeFileSync(join(root, 'ca.pem'), options.trustedCa);
      execFileSync('certutil', ['-A', '-d', db, '-n', 'test-ca', '-t', 'C,,', '-i', join(root, 'ca.pem')], { stdio: 'pipe' });
    }
    if (options.clientCertificate !== undefined) {
      const p12 = pkcs12Of(options.clientCertificate);
      writeFileSync(join(root, 'client.p12'), p12.der);
      execFileSync('pk12util', ['-i', join(root, 'client.p12'), '-d', db, '-W', p12.password, '-K', ''], { stdio: 'pipe' });
      // Any URL: the filter picks the certificate by its issuer, so the browser presents it wherever that CA is asked for.
      const rule = JSON.stringify({ pattern: '*', filter: { ISSUER: { CN: issuerCommonName(options.clientCertificate, p12) } } });
      policyFile = join(POLICY_DIR, `gateway-test-${process.pid}-${root.slice(-6)}.json`);
      writeFileSync(policyFile, JSON.stringify({ AutoSelectCertificateForUrls: [rule] }));
    }
    context = await chromium.launchPersistentContext(join(root, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      env: { ...process.env, HOME: home },
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

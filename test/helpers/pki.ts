/**
 * Test PKI made in code. TEST FIXTURES ONLY: the keys made here are throwaway and never leave the test process
 * (or its temporary directory).
 */
import { issue, type Issued } from '../../src/devpki/issue.js';

export { issue, type Issued, type IssueOptions, type SubjectAttrs } from '../../src/devpki/issue.js';

export interface TestPki {
  readonly ca: Issued;
  /** Server certificate for localhost / 127.0.0.1 / ::1, signed by `ca`. */
  readonly server: Issued;
  /** A valid client, CN=device-1, OU=devices, O=Acme. */
  readonly client: Issued;
  /** A second valid client, CN=device-2. */
  readonly client2: Issued;
  /** Signed by `ca` but expired yesterday. */
  readonly expiredClient: Issued;
  /** A CA the gateway does not trust, and a client it signed. */
  readonly otherCa: Issued;
  readonly untrustedClient: Issued;
}

let cached: TestPki | undefined;

/** One PKI per test process: RSA generation is the slow part, and the certificates are read-only. */
export function testPki(): TestPki {
  if (cached) return cached;
  const ca = issue({ subject: { CN: 'Test Root CA', O: 'Acme' }, isCA: true, notAfterDays: 3650 });
  const otherCa = issue({ subject: { CN: 'Other CA', O: 'Evil' }, isCA: true, notAfterDays: 3650 });
  cached = {
    ca,
    otherCa,
    server: issue({
      subject: { CN: 'localhost', O: 'Acme' },
      sans: ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'],
      issuer: ca,
      usage: 'server',
    }),
    client: issue({
      subject: { CN: 'device-1', OU: 'devices', O: 'Acme' },
      sans: ['DNS:device-1.devices.acme.com', 'URI:spiffe://acme.com/device/1'],
      issuer: ca,
      usage: 'client',
    }),
    client2: issue({ subject: { CN: 'device-2', OU: 'devices', O: 'Acme' }, issuer: ca, usage: 'client' }),
    expiredClient: issue({
      subject: { CN: 'expired-device', OU: 'devices', O: 'Acme' },
      issuer: ca,
      usage: 'client',
      notBeforeDays: -30,
      notAfterDays: -1,
    }),
    untrustedClient: issue({ subject: { CN: 'intruder', O: 'Evil' }, issuer: otherCa, usage: 'client' }),
  };
  return cached;
}

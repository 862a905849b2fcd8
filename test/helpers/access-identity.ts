import type { AccessIdentity, SubjectAltName } from '../../src/auth/types.js';

/** A verified client certificate's identity, CN=device-1, OU=devices, O=Acme unless overridden. */
export function identity(overrides: Partial<AccessIdentity> = {}): AccessIdentity {
  const subjectAttributes = overrides.subjectAttributes ?? { CN: ['device-1'], OU: ['devices'], O: ['Acme'] };
  return {
    presented: true,
    verified: true,
    error: undefined,
    subject: Object.entries(subjectAttributes)
      .flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`))
      .join('\n'),
    subjectAttributes,
    sans: [
      { type: 'DNS', value: 'device-1.devices.acme.com' },
      { type: 'URI', value: 'spiffe://acme.com/device/1' },
    ] satisfies SubjectAltName[],
    fingerprint256: 'AB:'.repeat(31) + 'CD',
    ...overrides,
  };
}

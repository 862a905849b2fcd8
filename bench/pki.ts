/**
 * The certificates every system in a run shares: a CA, a server certificate for localhost / 127.0.0.1 and a client
 * certificate, written as PEM files into the run's temporary directory. Throwaway keys made at each run, on P-256:
 * devices commonly hold EC keys, and an RSA-2048 signature in each full handshake (0.28 ms of CPU on the machine
 * measured, against 0.04 for P-256) would be charged to every system alike and shrink the differences between them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue } from '../src/devpki/issue.js';

export interface BenchPki {
  readonly caPem: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** `count` more client certificates of the same CA, each a device of its own (`bench:compare --fleet`). */
  fleet(count: number): readonly { readonly cert: string; readonly key: string }[];
  readonly files: {
    readonly ca: string;
    readonly serverCert: string;
    readonly serverKey: string;
    /** Key, certificate and CA in one file: the gateway's PEM keystore. */
    readonly serverBundle: string;
  };
}

export function makeBenchPki(dir: string): BenchPki {
  const ca = issue({ subject: { CN: 'Benchmark CA', O: 'Bench' }, isCA: true, notAfterDays: 30, keyType: 'ec' });
  const server = issue({
    subject: { CN: 'localhost', O: 'Bench' },
    sans: ['DNS:localhost', 'IP:127.0.0.1'],
    issuer: ca,
    usage: 'server',
    notAfterDays: 30,
    keyType: 'ec',
  });
  const client = issue({ subject: { CN: 'bench-client', O: 'Bench' }, issuer: ca, usage: 'client', notAfterDays: 30, keyType: 'ec' });
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  return {
    caPem: ca.cert,
    clientCert: client.cert,
    clientKey: client.key,
    fleet: (count) =>
      Array.from({ length: count }, (_, i) => {
        const device = issue({ subject: { CN: `bench-device-${i}`, O: 'Bench' }, issuer: ca, usage: 'client', notAfterDays: 30, keyType: 'ec' });
        return { cert: device.cert, key: device.key };
      }),
    files: {
      ca: write('ca.pem', ca.cert),
      serverCert: write('server-cert.pem', server.cert + ca.cert),
      serverKey: write('server-key.pem', server.key),
      serverBundle: write('server.pem', server.key + server.cert + ca.cert),
    },
  };
}

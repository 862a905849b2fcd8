import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { connectSettings, type ConnectFlags } from '../../../src/cli/connect-args.js';
import { CONNECT_SOURCE, connectConfig } from '../../../src/cli/connect-config.js';
import { describeByFlag, inFlagWords, unusedWarnings } from '../../../src/cli/connect-diagnostics.js';
import { prepareLoaded } from '../../../src/cli/prepare.js';
import { parseConfig } from '../../../src/config/index.js';
import { repoPath } from '../../helpers/paths.js';

const TO = 'wss://localhost:1/devices/device-1';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-connect-'));
  copyFileSync(repoPath('test/fixtures/stores/device-1.p12'), join(dir, 'device-1.p12'));
  copyFileSync(repoPath('test/fixtures/stores/fixture-ca.crt.pem'), join(dir, 'ca.pem'));
  writeFileSync(join(dir, 'changeit.pw'), 'changeit\n');
  writeFileSync(join(dir, 'wrong.pw'), 'wrong\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Every problem `connect` would log for these flags (run from the fixture directory), as it would show it. */
function problems(flags: Omit<ConnectFlags, 'listen' | 'to'>, to = TO): string[] {
  const config = connectConfig(connectSettings({ listen: '0', to, ...flags }, dir));
  const prepared = prepareLoaded(parseConfig(config.text, CONNECT_SOURCE), pino({ level: 'silent' }));
  assert.equal(prepared.gateway, undefined, 'the gateway should not have been prepared');
  const shown = [...prepared.errors, ...prepared.warnings].map((d) => describeByFlag(d, config));
  for (const line of shown) {
    assert.doesNotMatch(line, /<connect command line>|<\/?[a-z.-]+>|ssl\.keystore\.alias/, 'no file position or XML in the words a user sees');
  }
  return shown;
}

test('a value the configuration refuses is reported against the flag that gave it', () => {
  const shown = problems({ maximumPendingBytes: '128kB', closeTimeout: '0', inactivityTimeout: 'soon' });
  assert.equal(shown.length, 3);
  assert.match(shown.find((l) => l.startsWith('--maximum-pending-bytes 128kB: error GW_ERR_CONFIG_VALUE')) ?? '', /Invalid data size/);
  assert.match(shown.find((l) => l.startsWith('--close-timeout 0: error GW_ERR_CONFIG_VALUE')) ?? '', /close.timeout must be longer than 0/);
  assert.ok(shown.some((l) => l.startsWith('--inactivity-timeout soon: error GW_ERR_CONFIG_VALUE')), shown.join('\n'));
});

test('a wrong password is reported against --keystore', () => {
  const [line, ...rest] = problems({ keystore: 'device-1.p12', passwordFile: 'wrong.pw' });
  assert.deepEqual(rest, []);
  assert.match(line ?? '', /^--keystore device-1\.p12: error GW_ERR_STORE_PASSWORD: .*wrong password/);
});

test('a missing keystore password is reported against --keystore', () => {
  assert.match(problems({ keystore: 'device-1.p12' })[0] ?? '', /^--keystore device-1\.p12: error GW_ERR_STORE_PASSWORD: /);
});

test('a password file that cannot be read is reported against --password-file', () => {
  assert.match(problems({ keystore: 'device-1.p12', passwordFile: 'missing.pw' })[0] ?? '', /^--password-file missing\.pw: error GW_ERR_FILE_READ: .*missing\.pw/);
});

test('a store of another type than declared names the flag that fixes it', () => {
  const line = problems({ keystore: 'device-1.p12', passwordFile: 'changeit.pw', keystoreType: 'JCEKS' })[0] ?? '';
  assert.match(line, /^--keystore device-1\.p12: error GW_ERR_STORE_FORMAT: .*\(give --keystore-type PKCS12\)$/);
  const trust = problems({ truststore: 'device-1.p12', truststoreType: 'PEM' })[0] ?? '';
  assert.match(trust, /^--truststore device-1\.p12: error GW_ERR_STORE_FORMAT: .*\(give --truststore-type PKCS12 \(or leave it out\) and give --truststore-password-file, naming a file whose first line is the store's password as given to keytool .*changeit/);
});

test('an alias the keystore does not hold is reported against --alias, with the aliases it does hold', () => {
  const line = problems({ keystore: 'device-1.p12', passwordFile: 'changeit.pw', alias: 'device-2' })[0] ?? '';
  assert.match(line, /^--alias device-2: error GW_ERR_TLS_NO_CERTIFICATE: --alias "device-2" .*"device-1"/);
});

test('a missing truststore is reported against --truststore', () => {
  assert.match(problems({ truststore: 'nothing.pem' })[0] ?? '', /^--truststore nothing\.pem: error GW_ERR_FILE_READ: /);
});

test('stores a plain target does not use are still checked', () => {
  const shown = problems({ keystore: 'device-1.p12', passwordFile: 'wrong.pw' }, 'tcp://127.0.0.1:1');
  assert.match(shown[0] ?? '', /^--keystore device-1\.p12: error GW_ERR_STORE_PASSWORD/);
});

test('a diagnostic about another file is shown as start shows it', () => {
  const config = connectConfig(connectSettings({ listen: '0', to: TO }, dir));
  const d = { severity: 'error', code: 'GW_ERR_TLS_CRL', message: 'bad CRL', position: { file: 'crl/a.pem', line: 3 }, hint: undefined } as const;
  assert.equal(describeByFlag(d, config), 'crl/a.pem:3: error GW_ERR_TLS_CRL: bad CRL');
});

test('store flags a plain target does not use are warned about by flag', () => {
  const settings = connectSettings({ listen: '0', to: 'ws://127.0.0.1:1/x', keystore: 'device-1.p12', truststore: 'ca.pem' }, dir);
  const config = connectConfig(settings);
  assert.deepEqual(
    unusedWarnings(settings, config).map((d) => describeByFlag(d, config)),
    [
      '--keystore device-1.p12: warning GW_ERR_CONFIG_WARNING: not used: a ws:// target does not use TLS (it is still read and checked)',
      '--truststore ca.pem: warning GW_ERR_CONFIG_WARNING: not used: a ws:// target does not use TLS (it is still read and checked)',
    ],
  );
  const wss = connectSettings({ listen: '0', to: TO, keystore: 'device-1.p12' }, dir);
  assert.deepEqual(unusedWarnings(wss, connectConfig(wss)), []);
});

test('element names in messages become the flags that set them, with or without a value', () => {
  assert.equal(
    inFlagWords('none is presented (name an entry with <ssl.keystore.alias> to present it all the same)', '--keystore'),
    'none is presented (name an entry with --alias to present it all the same)',
  );
  assert.equal(inFlagWords('add <ssl.keystore.alias>device-1</ssl.keystore.alias>', '--keystore'), 'add --alias device-1');
  assert.equal(inFlagWords('remove <ssl.keystore.alias>', '--keystore'), 'remove --alias');
});

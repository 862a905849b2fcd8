import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { prepareLoaded } from '../../../src/cli/prepare.js';
import { decodeOffThread } from '../../../src/keystore/decode-thread.js';
import type { DecodedStoreLookup } from '../../../src/keystore/types.js';
import { WAIT_MS, withDeadline } from '../../helpers/deadline.js';
import { storePath } from '../../helpers/keytool.js';
import { memoryLog } from '../../helpers/memory-log.js';

const NS = 'http://xmlns.kaazing.org/2016/06/gateway';
const dir = mkdtempSync(join(tmpdir(), 'gw-prepare-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a configuration, and one with errors in it, take their stores from those decoded ahead', async () => {
  const passwordFile = join(dir, 'keystore.pw');
  writeFileSync(passwordFile, 'jceks-pass\n');
  const keystore = storePath('gateway.jceks');
  const security = `<security><keystore><type>JCEKS</type><file>${keystore}</file><password-file>${passwordFile}</password-file></keystore></security>`;
  const echo = (name: string, type: string) => `<service><name>${name}</name><accept>ws://127.0.0.1:0/${name}</accept><type>${type}</type></service>`;
  const decoded = await withDeadline(decodeOffThread([{ file: keystore, type: 'JCEKS', passwordFile }]), WAIT_MS, 'the keystore decoded on a thread');
  assert.equal(decoded.size, 1);
  const found: string[] = [];
  const lookup: DecodedStoreLookup = {
    find(bytes, options) {
      const contents = decoded.find(bytes, options);
      found.push(`${options.fileName}: ${contents === undefined ? 'missed' : `${contents.keys.length} keys`}`);
      return contents;
    },
  };

  const good = join(dir, 'good.xml');
  writeFileSync(good, `<gateway-config xmlns="${NS}">${security}${echo('a', 'echo')}</gateway-config>\n`);
  const prepared = prepareLoaded(loadConfig(good, {}), memoryLog().log, { decodedStores: lookup });
  assert.deepEqual(prepared.errors, []);
  assert.ok(prepared.gateway);
  assert.deepEqual(found, [`${keystore}: 3 keys`]);

  // A file with an error still has its stores checked, from what was decoded.
  const broken = join(dir, 'broken.xml');
  writeFileSync(broken, `<gateway-config xmlns="${NS}">${security}${echo('a', 'echo')}${echo('b', 'no.such.type')}</gateway-config>\n`);
  const loaded = loadConfig(broken, {});
  assert.equal(loaded.ok, false);
  assert.ok(!loaded.ok && loaded.partial, 'the parts without errors are kept');
  const checked = prepareLoaded(loaded, memoryLog().log, { decodedStores: lookup });
  assert.ok(checked.errors.length > 0);
  assert.deepEqual(found, [`${keystore}: 3 keys`, `${keystore}: 3 keys`]);
});

test('a CRL that cannot be read is reported at its <ssl.crl>, not at the accept', () => {
  const passwordFile = join(dir, 'keystore-crl.pw');
  writeFileSync(passwordFile, 'jceks-pass\n');
  const config = join(dir, 'crl.xml');
  const lines = [
    `<gateway-config xmlns="${NS}">`,
    `<security><keystore><type>JCEKS</type><file>${storePath('gateway.jceks')}</file><password-file>${passwordFile}</password-file></keystore>`,
    `<truststore><type>PEM</type><file>${storePath('fixture-ca.crt.pem')}</file></truststore></security>`,
    '<service><name>devices</name><accept>wss://localhost:0/devices</accept><type>echo</type>',
    '<accept-options><ssl.verify-client>required</ssl.verify-client>',
    `<ssl.crl>${join(dir, 'no-such-crls')}</ssl.crl>`,
    '</accept-options></service></gateway-config>',
  ];
  writeFileSync(config, `${lines.join('\n')}\n`);
  const prepared = prepareLoaded(loadConfig(config, {}), memoryLog().log);
  const crl = prepared.errors.find((e) => e.code === 'GW_ERR_TLS_CRL');
  assert.ok(crl, `a GW_ERR_TLS_CRL among ${JSON.stringify(prepared.errors)}`);
  assert.equal(crl.position?.line, 6);
});

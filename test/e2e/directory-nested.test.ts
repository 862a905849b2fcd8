/**
 * A directory nested in another's, behind a realm of its own: no other spelling of its path reaches its files
 * through the outer directory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { USERS_NAMESPACE } from '../../src/auth/realm/users-file.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { WAIT_MS, withDeadline } from '../helpers/deadline.js';

const PUBLIC = 'http://127.0.0.1:0/';
let space: Workspace;
let gw: GatewayProcess;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port(PUBLIC), path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  return withDeadline(reply, WAIT_MS, `GET ${path}`);
}

before(async () => {
  space = workspace();
  // Kaazing's layout: conf/ beside web/, whose directories <directory> names.
  for (const dir of ['conf', 'web/site/admin']) mkdirSync(join(space.dir, dir), { recursive: true });
  space.write('web/site/index.html', 'public');
  space.write('web/site/admin/secret.html', 'SECRET');
  space.write('conf/jaas-config.xml', `<jaas-config xmlns="${USERS_NAMESPACE}"><user><name>joe</name><password>pw</password><role-name>ADMIN</role-name></user></jaas-config>`);
  gw = await GatewayProcess.start(
    space.config(`
  <service><name>public</name><accept>${PUBLIC}</accept><type>directory</type><properties><directory>/site</directory></properties></service>
  <service><name>admin</name><accept>http://127.0.0.1:0/admin</accept><type>directory</type><properties><directory>/site/admin</directory></properties>
    <realm-name>users</realm-name><authorization-constraint><require-role>ADMIN</require-role></authorization-constraint></service>
  <security><realm><name>users</name><authentication><login-modules>
    <login-module><type>file</type><success>required</success><options><file>jaas-config.xml</file></options></login-module>
  </login-modules></authentication></realm></security>`, 'conf/gateway-config.xml'),
  );
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

test('the inner directory is behind its realm however its path is spelled; the outer one serves its own files', async () => {
  assert.equal((await get('/admin/secret.html')).status, 401);
  assert.deepEqual(await get('/admin/secret.html', { Authorization: `Basic ${Buffer.from('joe:pw').toString('base64')}` }), { status: 200, body: 'SECRET' });
  for (const path of ['/%61dmin/secret.html', '//admin/secret.html', '/%61dmin/', '/ADMIN/../%61dmin/secret.html']) {
    const reply = await get(path);
    assert.ok(reply.status === 400, `${path}: ${reply.status} ${reply.body}`);
    assert.doesNotMatch(reply.body, /SECRET/, path);
  }
  assert.deepEqual(await get('/index.html'), { status: 200, body: 'public' });
  assert.equal((await get('/%69ndex.html')).status, 200, 'another spelling of a path of the same service is served');
  const line = await gw.waitFor((l) => l.msg === 'path names another service once decoded: request refused');
  assert.equal(line['decoded'], '/admin/secret.html');
  assert.equal(line['code'], 'GW_ERR_PATH_DECODED');
});

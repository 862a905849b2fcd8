import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nginxConfig } from '../../../../bench/systems/nginx.js';

const input = { module: '/usr/lib/nginx/modules/ngx_stream_module.so', dir: '/tmp/x', port: 8443, sinkPort: 9000, cert: '/c.pem', key: '/k.pem', ca: '/ca.pem', workers: 1, fileLimit: 12000 };

test('the stream server terminates TLS, requires a client certificate and forwards to the sink', () => {
  const conf = nginxConfig(input);
  assert.match(conf, /^load_module \/usr\/lib\/nginx\/modules\/ngx_stream_module\.so;\n/);
  assert.match(conf, /daemon off;/);
  assert.match(conf, /pid \/tmp\/x\/nginx\.pid;/);
  assert.match(conf, /error_log \/tmp\/x\/error\.log warn;/);
  assert.match(conf, /worker_rlimit_nofile 12000;/);
  assert.match(conf, /listen 127\.0\.0\.1:8443 ssl/);
  assert.match(conf, /ssl_verify_client on;/);
  assert.match(conf, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
  assert.match(conf, /ssl_client_certificate \/ca\.pem;/);
  assert.match(conf, /proxy_pass 127\.0\.0\.1:9000;/);
  assert.doesNotMatch(conf, /^\s*http\s*\{/m);
});

test('a stream module built in needs no load_module', () => {
  assert.doesNotMatch(nginxConfig({ ...input, module: undefined }), /load_module/);
});

test('worker_processes is the count asked for: one on its pinned core, more for the workers scenario', () => {
  assert.match(nginxConfig(input), /^worker_processes 1;$/m);
  assert.match(nginxConfig({ ...input, workers: 2 }), /^worker_processes 2;$/m);
});

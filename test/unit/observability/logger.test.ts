import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/observability/logger.js';

/** The service logger, writing into a string. */
function capturedLogger(): { log: Logger; text: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), text: () => out };
}

test('the service logger redacts app secrets and header values wherever they are logged', () => {
  const { log, text } = capturedLogger();
  log.info({ app: { id: 'a', secret: 'app-secret-1' } }, 'app');
  log.info({ secret: 'app-secret-2', webhook: { headers: { Authorization: 'Bearer tok-3' } } }, 'webhook');
  log.info({ request: { headers: { authorization: 'Bearer tok-4' } } }, 'request');
  log.info({ config: { app_manager: { array: { apps: [{ id: 'a', secret: 'app-secret-5' }] } } } }, 'config');
  const out = text();
  for (const secret of ['app-secret-1', 'app-secret-2', 'tok-3', 'tok-4', 'app-secret-5']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  assert.equal((out.match(/\[redacted\]/g) ?? []).length, 5);
});

test('the objects the pipeline holds are redacted at their own depth: a batch, a parsed config, a webhook target', () => {
  const { log, text } = capturedLogger();
  const webhook = { id: 'w', target: { kind: 'http', url: 'https://u-7:pw-8@x.test/h?token=qt-9' }, headers: { Authorization: 'Bearer tok-10' } };
  const app = { id: 'a', key: 'k', secret: 'app-secret-11', webhooks: [webhook] };
  log.info({ batch: { deliveryId: 'd', app, webhook } }, 'batch');
  log.info({ config: { apps: [app] } }, 'parsed config');
  log.info({ apps: [app] }, 'apps');
  log.info({ webhook }, 'webhook');
  const out = text();
  for (const secret of ['app-secret-11', 'tok-10', 'pw-8', 'qt-9', 'u-7']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  assert.match(out, /"deliveryId":"d"/, 'what is not secret is still logged');
});

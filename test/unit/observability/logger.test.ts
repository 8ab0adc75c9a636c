import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/observability/logger.js';

test('the service logger redacts app secrets and header values wherever they are logged', () => {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ level: 'info', destination });
  log.info({ app: { id: 'a', secret: 'app-secret-1' } }, 'app');
  log.info({ secret: 'app-secret-2', webhook: { headers: { Authorization: 'Bearer tok-3' } } }, 'webhook');
  log.info({ request: { headers: { authorization: 'Bearer tok-4' } } }, 'request');
  log.info({ config: { app_manager: { array: { apps: [{ id: 'a', secret: 'app-secret-5' }] } } } }, 'config');
  for (const secret of ['app-secret-1', 'app-secret-2', 'tok-3', 'tok-4', 'app-secret-5']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  assert.equal((out.match(/\[redacted\]/g) ?? []).length, 5);
});

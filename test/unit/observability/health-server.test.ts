import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { createMetrics } from '../../../src/observability/metrics.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { startHealthServer, type HealthServer } from '../../../src/observability/health-server.js';

async function start(t: TestContext, isReady: () => boolean | Promise<boolean>): Promise<HealthServer & { url: (p: string) => string }> {
  const registry = new Registry();
  createMetrics(registry);
  const server = await startHealthServer({ host: '127.0.0.1', port: 0, registry, isReady, logger: silentLogger() });
  t.after(() => server.close());
  return Object.assign(server, { url: (p: string) => `http://127.0.0.1:${server.port}${p}` });
}

async function get(url: string, method: 'GET' | 'POST' | 'HEAD' = 'GET'): Promise<{ status: number; type: string | undefined; text: string }> {
  const res = await request(url, { method });
  const text = await res.body.text();
  const type = res.headers['content-type'];
  return { status: res.statusCode, type: Array.isArray(type) ? type[0] : type, text };
}

test('binds port 0 to a real port; /metrics serves the Prometheus text format', async (t) => {
  const server = await start(t, () => true);
  assert.ok(server.port > 0);
  const res = await get(server.url('/metrics'));
  assert.equal(res.status, 200);
  assert.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(res.text, /^# TYPE hookstream_webhook_deliveries_total counter$/m);
});

test('/healthz is 200 ok', async (t) => {
  const server = await start(t, () => false);
  assert.deepEqual(await get(server.url('/healthz')), { status: 200, type: 'text/plain; charset=utf-8', text: 'ok' });
});

test('/readyz follows isReady, sync or async; a throwing check is not ready', async (t) => {
  let ready = false;
  const server = await start(t, () => ready);
  assert.equal((await get(server.url('/readyz'))).status, 503);
  ready = true;
  assert.equal((await get(server.url('/readyz'))).status, 200);

  const asyncServer = await start(t, async () => Promise.resolve(true));
  assert.equal((await get(asyncServer.url('/readyz'))).status, 200);
  const throwing = await start(t, () => {
    throw new Error('boom');
  });
  assert.equal((await get(throwing.url('/readyz'))).status, 503);
  const rejecting = await start(t, () => Promise.reject(new Error('boom')));
  assert.equal((await get(rejecting.url('/readyz'))).status, 503);
});

test('unknown paths are 404, other methods 405', async (t) => {
  const server = await start(t, () => true);
  assert.equal((await get(server.url('/'))).status, 404);
  assert.equal((await get(server.url('/metrics/x'))).status, 404);
  assert.equal((await get(server.url('/metrics'), 'POST')).status, 405);
  assert.equal((await get(server.url('/healthz?probe=1'))).status, 200);
});

test('close() is idempotent and stops answering', async (t) => {
  const server = await start(t, () => true);
  await get(server.url('/healthz'));
  const first = server.close();
  assert.equal(server.close(), first);
  await first;
  await assert.rejects(get(server.url('/healthz')));
});

test('a port in use is an error at start', async (t) => {
  const server = await start(t, () => true);
  const registry = new Registry();
  await assert.rejects(startHealthServer({ host: '127.0.0.1', port: server.port, registry, isReady: () => true, logger: silentLogger() }), /EADDRINUSE/);
});

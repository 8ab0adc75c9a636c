import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { compileChannelPattern } from '../../../src/config/channel-pattern.js';
import type { WebhookConfig } from '../../../src/config/types.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ThreadedDeliverer } from '../../../src/pipeline/deliver/threaded.js';
import type { DeliveryRequest } from '../../../src/pipeline/deliver/types.js';
import { eventJson } from '../../../src/pipeline/deliver/wire.js';
import { startReceiver } from '../../helpers/receiver.js';
import { assertRespawnBackoff } from '../../helpers/threads.js';

const app = { id: 'app-1', key: 'app-key', secret: 'app-secret-0123456789' };
const events = [
  { id: 'e1', app_id: 'app-1', name: 'channel_occupied', channel: 'presence-room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: 1_700_000_000_000, node_id: null },
  { id: 'e2', app_id: 'app-1', name: 'client_event', channel: 'private-ü', event: 'client-x', data: '{"q":"\\"quoted\\""}', socket_id: '1.2', user_id: 'u', subscription_count: null, time_ms: 1_700_000_000_001, node_id: null },
];

function webhook(url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig {
  return {
    id: 'wh-1', target: { kind: 'http', url }, event_types: new Set(['channel_occupied', 'client_event']),
    filter: { channel_pattern: compileChannelPattern('^pres') }, headers: { Authorization: 'Bearer t0ken' }, request_timeout_ms: 5_000, ...extra,
  };
}

function request(hook: WebhookConfig, extra: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return { deliveryId: 'dlv-7', attempt: 3, app, webhook: hook, eventsJson: events.map(eventJson), ...extra };
}

test('a delivery made on the delivery thread is the same signed request, and its outcome comes back', async (t) => {
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  const deliverer = new ThreadedDeliverer({ threads: 2, logger: createLogger({ level: 'silent' }) });
  t.after(() => deliverer.close());
  const hook = webhook(receiver.url('/hook'));

  const outcome = await deliverer.deliver(request(hook, { replay: true }));
  assert.equal(outcome.ok, true);
  const [req] = receiver.requests;
  assert.ok(req?.valid, 'the official SDK accepts the signature');
  assert.deepEqual(req.body?.events?.map((e) => e.id), ['e1', 'e2']);
  assert.equal(req.rawBody.toString().includes('"data":"{\\"q\\":\\"\\\\\\"quoted\\\\\\"\\"}"'), true, 'event JSON passed through unchanged');
  assert.equal(req.headers['x-hookstream-delivery-id'], 'dlv-7');
  assert.equal(req.headers['x-hookstream-attempt'], '3');
  assert.equal(req.headers['x-hookstream-replay'], 'true');
  assert.equal(req.headers.authorization, 'Bearer t0ken', 'webhook headers reach the thread');

  receiver.setStatus(503);
  receiver.setResponseHeaders({ 'Retry-After': '7' });
  const failed = await deliverer.deliver(request(hook));
  assert.equal(failed.ok, false);
  assert.equal(!failed.ok && failed.kind, 'http_status');
  assert.equal(!failed.ok && failed.statusCode, 503);
  assert.equal(!failed.ok && failed.retryAfterMs, 7000);
});

test('a delivery thread that dies fails its running deliveries (to be retried) and is replaced', async (t) => {
  const slow = await startReceiver({ apps: app, delayMs: 3_000 });
  const fast = await startReceiver({ apps: app });
  t.after(() => slow.close());
  t.after(() => fast.close());
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  const deliverer = new ThreadedDeliverer({ threads: 1, logger });
  t.after(() => deliverer.close());

  const running = deliverer.deliver(request(webhook(slow.url('/'))));
  await slow.waitFor((r) => r.requests.length === 1, 5_000);
  await deliverer.terminateThread(0);
  const outcome = await running;
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.kind, 'network');
  assert.match(!outcome.ok ? outcome.message : '', /delivery thread exited/);

  const after = await deliverer.deliver(request(webhook(fast.url('/'))));
  assert.equal(after.ok, true, 'a new thread took over');
  assert.ok(fast.requests[0]?.valid);
  assert.ok(lines.some((l) => l.includes('starting a new one')));
});

test('a delivery thread that dies on every start is restarted a handful of times a second, not in a tight loop; deliveries meanwhile fail at once', { timeout: 15_000 }, async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  // A thread script that throws as it loads, as one with a module that cannot load would.
  const workerUrl = new URL('data:text/javascript,throw new Error("delivery thread cannot start")');
  const deliverer = new ThreadedDeliverer({ threads: 1, logger, workerUrl });
  t.after(() => deliverer.close());
  const exits = (): number => lines.filter((l) => l.includes('delivery thread exited')).length;

  await assertRespawnBackoff(t, {
    attempt: async () => {
      const outcome = await deliverer.deliver(request(webhook('http://127.0.0.1:9/')));
      return !outcome.ok && outcome.kind === 'network';
    },
    exits,
    close: () => deliverer.close(),
  });
  assert.ok(lines.some((l) => /"restart_delay_ms":[1-9]/.test(l)), 'the log says how long the restart waits');
});

test('after close() deliveries are refused, not lost in a dead thread', async () => {
  const deliverer = new ThreadedDeliverer({ threads: 1, logger: createLogger({ level: 'silent' }) });
  await deliverer.close();
  const outcome = await deliverer.deliver(request(webhook('http://127.0.0.1:9/')));
  assert.equal(outcome.ok, false);
  assert.match(!outcome.ok ? outcome.message : '', /closed/);
});

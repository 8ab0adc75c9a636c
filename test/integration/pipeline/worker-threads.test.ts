import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { createLogger } from '../../../src/observability/logger.js';
import { createProducer } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil } from '../../helpers/service.js';

test('with delivery.worker_threads 1, deliveries run on the delivery thread and a failed batch goes through the hand-off thread to a tier and back', async (t) => {
  // The first request of each delivery answers 503: the batch is handed to the first tier
  // (hand-off thread), read back and delivered again (delivery thread).
  const seen = new Set<string>();
  const receiver = await startReceiver({
    apps: { key: 'k1', secret: 's1' },
    status: (req) => {
      const id = String(req.headers['x-hookstream-delivery-id']);
      if (seen.has(id)) return 200;
      seen.add(id);
      return 503;
    },
  });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ url: receiver.url('/hook'), event_types: ['member_added'] }] }],
    retry: { delays_ms: [300, 600] },
    delivery: { worker_threads: 1 },
  });
  const config = await createServiceTopics(t, raw);
  assert.equal(config.delivery.worker_threads, 1);
  // Debug level: kafkajs then logs each request it sends, and the hand-off thread's lines
  // come back tagged with thread: 'handoff'.
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  // HTTP requests this (the main) thread makes to the receiver. Diagnostics channels are per
  // thread: a request made on the delivery thread is not seen here.
  const mainThreadRequests: string[] = [];
  const onUndici = (message: unknown): void => {
    const { origin, path } = (message as { request: { origin: string; path: string } }).request;
    if (String(origin).includes(`:${receiver.port}`)) mainThreadRequests.push(`undici ${path}`);
  };
  const onHttp = (message: unknown): void => {
    const req = (message as { request: { host?: string; path: string; getHeader(name: string): unknown } }).request;
    if (String(req.getHeader('host')).endsWith(`:${receiver.port}`)) mainThreadRequests.push(`http ${req.path}`);
  };
  subscribe('undici:request:create', onUndici);
  subscribe('http.client.request.start', onHttp);
  t.after(() => {
    unsubscribe('undici:request:create', onUndici);
    unsubscribe('http.client.request.start', onHttp);
  });
  const service = await startService(t, raw, { logger });
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const ids = Array.from({ length: 50 }, (_, i) => `ev-${i}`);
  await producer.publishMany(ids.map((id, i) => ({ id, app_id: 'app1', name: 'member_added', channel: 'presence-room', user_id: `u${i}` })));

  await receiver.waitFor((r) => ids.every((id) => r.acceptedEvents().some((e) => e.id === id)), 20_000);
  assert.equal(receiver.invalidCount, 0, 'every request (first tries and retries) verifies with the SDK');
  const retried = receiver.requests.filter((r) => r.status === 200);
  assert.ok(retried.every((r) => r.headers['x-hookstream-attempt'] === '2'), 'every batch was delivered on its second attempt');
  const metrics = await service.registry.metrics();
  assert.ok(metricValue(metrics, 'hookstream_webhook_retries_total', { tier: '300ms' }) >= 1);
  await waitUntil(() => service.inFlightEvents === 0, 5000, 'nothing in flight');
  const entries = lines.map((l) => JSON.parse(l) as { thread?: string; component?: string; msg: string });
  assert.ok(entries.some((l) => l.thread === 'delivery' && l.msg === 'delivery thread ready'), 'the delivery thread ran');
  assert.ok(entries.some((l) => l.thread === 'handoff' && l.msg === 'hand-off thread ready'), 'the hand-off thread ran');

  // Every request the receiver got (first tries and retries) came from another thread than
  // this one; the hand-off thread only runs a Kafka producer, so: the delivery thread.
  assert.ok(receiver.requests.length >= 2);
  assert.deepEqual(mainThreadRequests, [], 'no delivery request was made on the main thread');
  // The retry record was produced by the hand-off thread's producer, none by the main thread's client.
  const produce = entries.filter((l) => l.component === 'kafkajs' && l.msg.startsWith('Request Produce'));
  assert.ok(produce.some((l) => l.thread === 'handoff'), 'the hand-off thread sent a produce request');
  assert.deepEqual(produce.filter((l) => l.thread !== 'handoff'), [], 'no produce request was sent from the main thread');

  // The check above can see main-thread requests: one made here is seen.
  const control = await request(receiver.url('/control'));
  await control.body.dump();
  assert.deepEqual(mainThreadRequests, ['undici /control']);
});

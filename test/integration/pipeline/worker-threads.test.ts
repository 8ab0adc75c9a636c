import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
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
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
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
  const threadLines = lines.map((l) => JSON.parse(l) as { thread?: string; msg: string }).filter((l) => l.thread);
  assert.ok(threadLines.some((l) => l.thread === 'delivery' && l.msg === 'delivery thread ready'), 'the delivery thread ran');
  assert.ok(threadLines.some((l) => l.thread === 'handoff' && l.msg === 'hand-off thread ready'), 'the hand-off thread ran');
});

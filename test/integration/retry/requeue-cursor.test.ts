import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import type { HookstreamConfig } from '../../../src/config/types.js';
import { createKafka } from '../../../src/kafka/client.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { requeueDlq, type RequeueSummary } from '../../../src/ops/dlq.js';
import { DLQ_HEADERS, deliveryCodec, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';
import { brokers, createAdmin, createProducer } from '../../helpers/kafka.js';
import { createServiceTopics, testConfig, testLogger } from '../../helpers/service.js';
import { readTopic } from './support.js';

/** Dead-letter records as the service writes them, straight onto the topic (no service runs here). */
async function seedDlq(t: TestContext, config: HookstreamConfig, apps: Record<string, number>): Promise<void> {
  const producer = await createProducer(t, { idempotent: true, maxInFlightRequests: 1 });
  const messages = Object.entries(apps).flatMap(([appId, n]) =>
    Array.from({ length: n }, (_, i) => {
      const record: WebhookDeliveryRecord = {
        delivery_id: `${appId}-d-${i}`, app_id: appId, webhook_id: 'hook', attempt: 6, tier: 4, not_before_ms: Date.now(),
        events: [{ id: `${appId}-e-${i}`, app_id: appId, name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null }],
        first_failure_ms: Date.now(), last_error: 'http_status 500: HTTP 500', replay: false,
      };
      return {
        key: appId,
        value: deliveryCodec().encode(record),
        headers: { [DLQ_HEADERS.kind]: 'delivery', [DLQ_HEADERS.reason]: 'retries_exhausted', [DLQ_HEADERS.attempts]: '6', [DLQ_HEADERS.appId]: appId, [DLQ_HEADERS.webhookId]: 'hook', [DLQ_HEADERS.failedAt]: new Date().toISOString() },
      };
    }),
  );
  await producer.send({ topic: topicNames(config).dlq, messages });
}

async function setup(t: TestContext, apps: string[]): Promise<{ config: HookstreamConfig; run: (options: Parameters<typeof requeueDlq>[3]) => Promise<RequeueSummary> }> {
  const raw = testConfig({ apps: apps.map((id) => ({ id, key: `k-${id}`, secret: `s-${id}`, webhooks: [{ id: 'hook', url: 'http://127.0.0.1:9/', event_types: ['channel_occupied'] }] })), partitions: 3 });
  await createServiceTopics(t, raw);
  const config = parseConfig(raw);
  const admin = await createAdmin(t);
  const kafka = createKafka({ brokers: brokers(), clientId: 'requeue-test', logger: testLogger() });
  return { config, run: (options) => requeueDlq(kafka, admin, config, options) };
}

test('an interrupted requeue commits what was acknowledged; the next run requeues the rest, nothing twice', async (t) => {
  const { config, run } = await setup(t, ['app1', 'app2']);
  await seedDlq(t, config, { app1: 300, app2: 200 });
  const tier = await readTopic(t, topicNames(config).retries[0]!.name);

  const abort = new AbortController();
  let done = 0;
  const first = await run({ selection: {}, execute: true, signal: abort.signal, onProgress: () => ++done === 100 && abort.abort() });
  assert.equal(first.interrupted, true);
  assert.ok(first.requeued >= 100 && first.requeued < 500, `first run requeued ${first.requeued}`);
  const second = await run({ selection: {}, execute: true });
  t.diagnostic(`interrupted run requeued ${first.requeued}, the next ${second.requeued}`);
  assert.equal(second.interrupted, false);
  assert.equal(first.requeued + second.requeued, 500);
  assert.equal((await run({ selection: {}, execute: true })).read, 0);

  await tier.waitFor((rs) => rs.length >= 500, 10_000, 'every requeued record');
  const records = tier.records.map((r) => deliveryCodec().decode(r.message.value!));
  assert.equal(records.length, 500);
  assert.equal(new Set(records.map((r) => r.delivery_id)).size, 500, 'no entry requeued twice');
  assert.ok(records.every((r) => r.attempt === 0 && r.tier === -1), 'attempts and retry progress reset');
  assert.ok(tier.records.every((r) => r.headers['hookstream-requeued-from']?.startsWith(`${topicNames(config).dlq}/`)));
});

test('a selective requeue keeps what it did not select for a later run', async (t) => {
  const { config, run } = await setup(t, ['app1', 'app2']);
  await seedDlq(t, config, { app1: 30, app2: 20 });
  const tier = await readTopic(t, topicNames(config).retries[0]!.name);

  const dry = await run({ selection: { appId: 'app1' }, execute: false });
  assert.deepEqual([dry.read, dry.requeued, dry.keptNotSelected], [50, 30, 20]);
  const app1 = await run({ selection: { appId: 'app1' }, execute: true });
  assert.deepEqual([app1.read, app1.requeued, app1.keptNotSelected], [50, 30, 20]);
  // The kept copies are after the cursor now: the next run finds exactly them.
  const app2 = await run({ selection: { appId: 'app2' }, execute: true });
  assert.deepEqual([app2.read, app2.requeued, app2.keptNotSelected], [20, 20, 0]);
  assert.equal((await run({ selection: {}, execute: false })).read, 0);

  await tier.waitFor((rs) => rs.length >= 50, 10_000, 'every requeued record');
  const ids = tier.records.map((r) => deliveryCodec().decode(r.message.value!).delivery_id);
  assert.equal(ids.length, 50);
  assert.equal(new Set(ids).size, 50);
});

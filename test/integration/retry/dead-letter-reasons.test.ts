import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent } from '../../../src/contract/index.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer, uniqueName } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil } from '../../helpers/service.js';
import { dlq, readTopic, writeConfigFile, type ReadRecord } from './support.js';

function event(fields: Partial<WebhookEvent> & { id: string; app_id: string }): WebhookEvent {
  return { name: 'channel_occupied', channel: 'room-1', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: 'node-1', ...fields };
}

test('unknown_app and webhook_removed land in the dead-letter topic with their headers; requeue routes by the new config', async (t) => {
  const failing = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }, { key: 'k2', secret: 's2' }], status: 503 });
  const ok = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }, { key: 'kg', secret: 'sg' }] });
  t.after(() => failing.close());
  t.after(() => ok.close());
  const group = uniqueName('group');
  const topic = uniqueName('events');
  const delays = [2000, 4000, 8000, 16000, 32000];
  const app1 = (webhooks: Record<string, unknown>[]) => ({ id: 'app1', key: 'k1', secret: 's1', webhooks });
  const hookA = { id: 'hook-a', url: failing.url('/a'), event_types: ['channel_occupied'] };
  const hookB = { id: 'hook-b', url: ok.url('/b'), event_types: ['channel_occupied'] };
  const app2 = { id: 'app2', key: 'k2', secret: 's2', webhooks: [{ id: 'hook-c', url: failing.url('/c'), event_types: ['channel_occupied'] }] };
  const ghost = { id: 'ghost', key: 'kg', secret: 'sg', webhooks: [{ id: 'hook-g', url: ok.url('/g'), event_types: ['channel_occupied'] }] };
  const before = testConfig({ apps: [app1([hookA, hookB]), app2], retry: { delays_ms: delays }, topic, group });
  // The config changes: app1 loses hook-a, app2 is gone, ghost is added.
  const after = testConfig({ apps: [app1([hookB]), ghost], retry: { delays_ms: delays }, topic, group });
  const config = await createServiceTopics(t, before);
  const names = topicNames(config);
  const dlqReader = await readTopic(t, names.dlq);

  const first = await startService(t, before);
  const producer = await createProducer(t);
  const ghostEvent = event({ id: 'ev-ghost', app_id: 'ghost' });
  const ghostBytes = encodeEvent(ghostEvent);
  const [ghostMeta] = await producer.send({ topic, messages: [{ key: 'ghost', value: ghostBytes }] });
  await producer.send({
    topic,
    messages: [
      { key: 'app1', value: encodeEvent(event({ id: 'ev-1', app_id: 'app1' })) },
      { key: 'app2', value: encodeEvent(event({ id: 'ev-2', app_id: 'app2' })) },
    ],
  });

  // unknown_app from the events topic: the original record, unchanged, with where it was.
  const byReason = (reason: string, kind: string) => (r: ReadRecord) => r.headers['hookstream-reason'] === reason && r.headers['hookstream-kind'] === kind;
  await dlqReader.waitFor((rs) => rs.some(byReason('unknown_app', 'event')), 15_000, 'unknown_app entry');
  const unknown = dlqReader.records.find(byReason('unknown_app', 'event'))!;
  assert.deepEqual(unknown.message.value, ghostBytes);
  assert.equal(unknown.message.key?.toString(), 'ghost');
  assert.equal(unknown.headers['hookstream-original-topic'], topic);
  assert.equal(unknown.headers['hookstream-original-partition'], String(ghostMeta!.partition));
  assert.equal(unknown.headers['hookstream-original-offset'], ghostMeta!.baseOffset);
  assert.equal(unknown.headers['hookstream-attempts'], '0');
  assert.match(unknown.headers['hookstream-error']!, /ghost/);
  assert.ok(!Number.isNaN(Date.parse(unknown.headers['hookstream-failed-at']!)));

  // hook-b got ev-1; hook-a and hook-c failed once and wait on the first tier.
  await ok.waitFor((r) => r.acceptedEvents().some((e) => e.id === 'ev-1'), 10_000);
  await failing.waitFor((r) => r.requests.length >= 2, 10_000);
  await waitUntil(() => first.inFlightEvents === 0, 10_000, 'both failing batches handed to the first tier');
  await first.close();

  const second = await startService(t, after);
  await dlqReader.waitFor((rs) => rs.some(byReason('webhook_removed', 'delivery')) && rs.some(byReason('unknown_app', 'delivery')), 20_000, 'webhook_removed and unknown_app of tier records');
  const removed = dlqReader.records.find(byReason('webhook_removed', 'delivery'))!;
  assert.equal(removed.headers['hookstream-app-id'], 'app1');
  assert.equal(removed.headers['hookstream-webhook-id'], 'hook-a');
  assert.equal(removed.headers['hookstream-attempts'], '1');
  assert.equal(removed.headers['hookstream-original-topic'], names.retries[0]!.name);
  assert.match(removed.headers['hookstream-original-offset']!, /^\d+$/);
  assert.match(removed.headers['hookstream-error']!, /hook-a/);
  assert.deepEqual(deliveryCodec().decode(removed.message.value!).events.map((e) => e.id), ['ev-1']);
  const appGone = dlqReader.records.find(byReason('unknown_app', 'delivery'))!;
  assert.equal(appGone.headers['hookstream-app-id'], 'app2');
  assert.equal(appGone.headers['hookstream-webhook-id'], 'hook-c');
  assert.equal(appGone.headers['hookstream-original-topic'], names.retries[0]!.name);
  assert.deepEqual(deliveryCodec().decode(appGone.message.value!).events.map((e) => e.id), ['ev-2']);
  // hook-a was never tried again under the new config.
  assert.equal(failing.requests.filter((r) => r.path === '/a').length, 1);
  const text = await second.registry.metrics();
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total', { reason: 'webhook_removed' }), 1);
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total', { reason: 'unknown_app' }), 1);

  // The operator lists them and requeues under the new config: ghost is routable now, the
  // other two would only die again, so they are kept.
  const file = await writeConfigFile(t, after);
  const listed = await dlq(['list', '--config', file]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /ghost +- +unknown_app +0 +1 /);
  assert.match(listed.stdout, /app1 +hook-a +webhook_removed +1 +1 /);
  assert.match(listed.stdout, /app2 +hook-c +unknown_app +1 +1 /);
  assert.match((await dlq(['list', '--config', file, '--app', 'app1'])).stdout, /^1 entry in/m);
  assert.match((await dlq(['list', '--config', file, '--reason', 'unknown_app'])).stdout, /^2 entries in/m);

  const requeued = await dlq(['requeue', '--config', file, '--execute']);
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.match(requeued.stdout, /re-published 1 event to/);
  assert.match(requeued.stdout, /kept 2 entries whose app or webhook is not in the config/);
  await ok.waitFor((r) => r.acceptedEvents().some((e) => e.id === 'ev-ghost'), 10_000);
  // The kept entries are still listed (as copies after the cursor); the ghost entry is not.
  const left = JSON.parse((await dlq(['list', '--config', file, '--json'])).stdout) as { total: number; entries: { reason: string; app_id: string }[] };
  assert.deepEqual(left.entries.map((e) => `${e.app_id}:${e.reason}`).sort(), ['app1:webhook_removed', 'app2:unknown_app']);
  const again = await dlq(['requeue', '--config', file, '--reason', 'webhook_removed']);
  assert.match(again.stdout, /would keep 1 entry whose app or webhook is not in the config/);
  assert.match(again.stdout, /would keep 1 entry not selected/);
});

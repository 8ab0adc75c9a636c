import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { sleep } from './support.js';
import { createServiceTopics, metricValue, spawnService, testConfig, waitUntilAsync } from '../../helpers/service.js';

const APPS = ['app-0', 'app-1', 'app-2', 'app-3'];
const PER_APP = 100;

test('SIGKILL while batches wait in the retry tiers loses nothing: the next process delivers them', async (t) => {
  const receiver = await startReceiver({ apps: APPS.map((id) => ({ key: `k-${id}`, secret: `s-${id}` })), status: 503 });
  t.after(() => receiver.close());
  // Tier 1 waits 5 s: long enough to kill the process while every batch sits in it.
  const raw = testConfig({
    apps: APPS.map((id) => ({ id, key: `k-${id}`, secret: `s-${id}`, webhooks: [{ id: `hook-${id}`, url: receiver.url(`/${id}`), event_types: ['channel_occupied'] }] })),
    retry: { delays_ms: [300, 5000, 10000, 20000, 40000] },
  });
  const config = await createServiceTopics(t, raw);
  const first = await spawnService(t, raw);
  await first.waitReady();

  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const events = APPS.flatMap((app_id) => Array.from({ length: PER_APP }, (_, i) => ({ id: `${app_id}-ev-${i}`, time_ms: Date.now(), app_id, name: 'channel_occupied', channel: `room-${i % 5}` })));
  await producer.publishMany(events);

  // Every batch failed twice and was handed to the 5 s tier: that is where they wait now.
  let batches = 0;
  await waitUntilAsync(async () => {
    const text = await first.metrics();
    batches = metricValue(text, 'hookstream_webhook_retries_total', { tier: '300ms' });
    return batches >= APPS.length && metricValue(text, 'hookstream_webhook_retries_total', { tier: '5s' }) >= batches;
  }, 20_000, 'every batch on the 5 s tier');
  // Give the events group time to commit (1 s interval), so the tier is what holds them.
  await sleep(1500);
  const failedAttempts = receiver.requests.length;
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  t.diagnostic(`killed with ${batches} batches on the 5 s tier after ${failedAttempts} failed attempts`);

  receiver.setStatus(200);
  const second = await spawnService(t, raw);
  // The killed member holds its partitions until its session times out (30 s).
  await second.waitReady(50_000);
  const ids = events.map((e) => e.id);
  await receiver.waitFor((r) => {
    const got = new Set(r.acceptedEvents().map((e) => e.id));
    return ids.every((id) => got.has(id));
  }, 30_000);

  const accepted = receiver.requests.filter((r) => r.status === 200);
  const attempts = accepted.map((r) => Number(r.headers['x-hookstream-attempt']));
  const copies = receiver.acceptedEvents().length;
  t.diagnostic(`delivered ${ids.length} events in ${accepted.length} requests (attempt numbers ${[...new Set(attempts)].sort().join(', ')}), ${copies - ids.length} duplicates`);
  // The batches came back from the tier: their third attempt, under their delivery ids.
  assert.ok(attempts.some((a) => a === 3), 'a batch delivered from the retry tier after the restart');
  const failedIds = new Set(receiver.requests.filter((r) => r.status === 503).map((r) => String(r.headers['x-hookstream-delivery-id'])));
  assert.ok(accepted.filter((r) => r.headers['x-hookstream-attempt'] === '3').every((r) => failedIds.has(String(r.headers['x-hookstream-delivery-id']))));
  assert.equal(receiver.invalidCount, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntilAsync } from '../../helpers/service.js';
import { readTopic, sleep } from './support.js';

test('an open circuit isolates a dead endpoint: its batches go to a tier without a request, the other webhook is unaffected', async (t) => {
  const bad = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: 503 });
  const good = await startReceiver({ apps: { key: 'k1', secret: 's1' } });
  t.after(() => bad.close());
  t.after(() => good.close());
  const raw = testConfig({
    apps: [
      {
        id: 'app1',
        key: 'k1',
        secret: 's1',
        webhooks: [
          { id: 'bad', url: bad.url('/'), event_types: ['channel_occupied'] },
          { id: 'good', url: good.url('/'), event_types: ['channel_occupied'] },
        ],
      },
    ],
    retry: { delays_ms: [500, 1000, 2000, 4000, 8000] },
    delivery: { circuit_breaker: { failures: 2, cooldown_ms: 3000 } },
  });
  const config = await createServiceTopics(t, raw);
  const tierReaders = await Promise.all(topicNames(config).retries.map((tier) => readTopic(t, tier.name)));
  const service = await startService(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const circuit = async (): Promise<number> => metricValue(await service.registry.metrics(), 'hookstream_webhook_circuit_state', { webhook_id: 'app1/bad' });

  await producer.publishMany([{ id: 'ev-1', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room' }]);
  // Two failed attempts (the first, then from the 500 ms tier) open the circuit.
  await bad.waitFor((r) => r.requests.length >= 2, 10_000);
  await waitUntilAsync(async () => (await circuit()) === 2, 5000, 'circuit open');
  const requestsWhenOpened = bad.requests.length;

  // While open: new batches for the dead endpoint are deferred without a request (to the
  // first tier that covers the rest of the cooldown); the healthy webhook gets them at once.
  const sentAt = Date.now();
  await producer.publishMany([{ id: 'ev-2', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room' }]);
  await good.waitFor((r) => r.acceptedEvents().some((e) => e.id === 'ev-2'), 5000);
  const goodLatency = good.requests.at(-1)!.receivedAt - sentAt;
  await waitUntilAsync(async () => metricValue(await service.registry.metrics(), 'hookstream_webhook_deferred_total', { reason: 'circuit_open' }) >= 1, 5000, 'ev-2 deferred to a tier');
  assert.equal(bad.requests.length, requestsWhenOpened, 'no request to the open endpoint');
  assert.ok(goodLatency < 1500, `the healthy webhook got ev-2 after ${goodLatency} ms`);

  // After the cooldown a probe goes through; the endpoint is back, the circuit closes and
  // everything deferred is delivered.
  bad.setStatus(200);
  await bad.waitFor((r) => ['ev-1', 'ev-2'].every((id) => r.acceptedEvents().some((e) => e.id === id)), 20_000);
  assert.equal(await circuit(), 0);
  assert.deepEqual(good.acceptedEvents().map((e) => e.id), ['ev-1', 'ev-2']);

  // ev-1's second failure opened the circuit and sent it to the 1 s tier; read back from
  // there while the circuit was still open, it moved on to a later tier unchanged: same
  // delivery, attempt count and events, only a later not_before_ms.
  const records = tierReaders.flatMap((reader) => reader.records.map((r) => deliveryCodec().decode(r.message.value!)));
  const ev1 = records.filter((r) => r.events.some((e) => e.id === 'ev-1'));
  assert.ok(ev1.length >= 3, `ev-1 went through ${ev1.length} tier records (500 ms after attempt 1, 1 s after attempt 2, then moved on)`);
  const moved = ev1.filter((r) => r.attempt === 2);
  assert.ok(moved.length >= 2, 'the attempt-2 record was moved on at least once without an attempt');
  for (const r of moved) {
    assert.deepEqual({ ...r, not_before_ms: 0 }, { ...moved[0]!, not_before_ms: 0 }, 'a moved record is unchanged but for not_before_ms');
  }
  moved.sort((a, b) => a.not_before_ms - b.not_before_ms);
  assert.ok(moved[1]!.not_before_ms > moved[0]!.not_before_ms);
  const final = bad.requests.filter((r) => r.status === 200 && r.body?.events?.some((e) => e.id === 'ev-1'));
  assert.equal(final[0]?.headers['x-hookstream-attempt'], '3', 'the move made no attempt: the next one is the third');
  assert.equal(final[0]?.headers['x-hookstream-delivery-id'], moved[0]!.delivery_id);
});

test('with no retry tiers an open circuit cannot defer: batches are still tried, then dead-lettered', async (t) => {
  const bad = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: 503 });
  t.after(() => bad.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'bad', url: bad.url('/'), event_types: ['channel_occupied'] }] }],
    retry: { delays_ms: [] },
    delivery: { circuit_breaker: { failures: 1, cooldown_ms: 60_000 } },
  });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  assert.deepEqual(names.retries, []);
  await startService(t, raw);
  const dlqReader = await readTopic(t, names.dlq);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const ids = (): string[] => dlqReader.records.flatMap((r) => deliveryCodec().decode(r.message.value!).events.map((e) => e.id));

  await producer.publishMany([{ id: 'ev-1', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room' }]);
  await dlqReader.waitFor(() => ids().includes('ev-1'), 10_000, 'ev-1 dead-lettered');
  await sleep(100);
  // The circuit is open now; the next batch must not get stuck looking for a tier.
  await producer.publishMany([{ id: 'ev-2', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room' }]);
  await dlqReader.waitFor(() => ids().includes('ev-2'), 10_000, 'ev-2 dead-lettered');
  assert.deepEqual(dlqReader.records.map((r) => r.headers['hookstream-reason']), ['retries_exhausted', 'retries_exhausted']);
  // Tried: one request per batch, ev-2's too although the circuit was open by then (its
  // dead-lettering waited for that attempt, so both requests are in by now).
  assert.deepEqual(
    bad.requests.map((r) => ({ events: r.body?.events?.map((e) => e.id), attempt: r.headers['x-hookstream-attempt'], status: r.status, valid: r.valid })),
    [
      { events: ['ev-1'], attempt: '1', status: 503, valid: true },
      { events: ['ev-2'], attempt: '1', status: 503, valid: true },
    ],
  );
});

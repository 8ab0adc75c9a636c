import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { startReceiver } from '../../helpers/receiver.js';
import { metricValue, testConfig, waitUntil } from '../../helpers/service.js';
import { serviceWithDeadLetters, sleep } from './support.js';

test('410 Gone is dead-lettered at once, with a reason that names the status', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: 410 });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'gone', url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }],
    // A first tier of 5 s: far from what "at once" may take on a slow machine.
    retry: { delays_ms: [5000, 10_000] },
  });
  const { names, service, dlqReader, producer } = await serviceWithDeadLetters(t, raw);
  await producer.publishMany([{ id: 'ev-1', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' }]);

  await dlqReader.waitFor((r) => r.length >= 1, 15_000, 'the dead letter');
  const record = dlqReader.records[0]!;
  assert.equal(receiver.requests.length, 1, 'one attempt, no retry');
  const lagMs = Date.parse(record.headers['hookstream-failed-at']!) - receiver.requests[0]!.receivedAt;
  t.diagnostic(`dead-lettered ${lagMs} ms after the attempt`);
  // "At once": no retry tier was involved (the shortest tier alone is 5 s).
  assert.ok(lagMs >= 0 && lagMs < 2500, `dead-lettered ${lagMs} ms after the attempt`);
  assert.equal(record.headers['hookstream-reason'], 'http_410');
  assert.equal(record.headers['hookstream-attempts'], '1');
  assert.equal(record.headers['hookstream-kind'], 'delivery');
  assert.equal(record.headers['hookstream-original-topic'], names.events);
  assert.match(record.headers['hookstream-error']!, /410/);
  assert.deepEqual(deliveryCodec().decode(record.message.value!).events.map((e) => e.id), ['ev-1']);

  await waitUntil(() => service.inFlightEvents === 0, 5000, 'nothing in flight');
  await sleep(500);
  assert.equal(receiver.requests.length, 1, 'still one attempt');
  const text = await service.registry.metrics();
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total', { reason: 'http_410' }), 1);
  assert.equal(metricValue(text, 'hookstream_webhook_retries_total'), 0);
});

test('permanent failures do not open the circuit: the eighth 410 in a row is still attempted and dead-lettered at once', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: 410 });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'gone', url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }],
    // One event per request, so that eight events are eight attempts, more than the breaker's 5.
    batching: { enabled: false },
    partitions: 1,
  });
  const { service, dlqReader, producer } = await serviceWithDeadLetters(t, raw);
  await producer.publishMany(Array.from({ length: 8 }, (_, i) => ({ id: `ev-${i}`, time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' })));

  await dlqReader.waitFor((r) => r.length >= 8, 15_000, 'eight dead letters');
  assert.equal(receiver.requests.length, 8, 'every batch attempted, none deferred by an open circuit');
  assert.deepEqual(new Set(dlqReader.records.map((r) => r.headers['hookstream-reason'])), new Set(['http_410']));
  const text = await service.registry.metrics();
  assert.equal(metricValue(text, 'hookstream_webhook_deferred_total'), 0);
  assert.equal(metricValue(text, 'hookstream_webhook_circuit_state', { webhook_id: 'app1/gone' }), 0);
});

/**
 * Backpressure waits inside the consumer's batch handler (heartbeating) rather than
 * pausing. A consumer that is waiting there must still give up partitions at a rebalance
 * promptly, and the records it had not taken must reach their new owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil, type RawApp } from '../../helpers/service.js';

const APPS = ['sat-1', 'sat-2', 'sat-3', 'sat-4', 'sat-5', 'sat-6'];
const TOTAL = 1200;

test('a consumer waiting for room in a full in-flight budget hands its partitions over at a rebalance; nothing is lost', async (t) => {
  const credentials = APPS.map((id) => ({ key: `key-${id}`, secret: `secret-${id}` }));
  // Slow answers and one request at a time per webhook keep the budget full.
  const receiver = await startReceiver({ apps: credentials, delayMs: 800 });
  t.after(() => receiver.close());
  const apps: RawApp[] = APPS.map((id, i) => ({ id, ...credentials[i]!, webhooks: [{ url: receiver.url(`/${id}`), event_types: ['client_event'] }] }));
  const raw = testConfig({
    apps,
    partitions: 4,
    batching: { duration: 50, size: 10 },
    // No retry tiers: nothing is deferred, so the budget stays full while deliveries crawl.
    retry: { delays_ms: [] },
    delivery: { max_in_flight_events: 40, concurrency_per_endpoint: 1 },
  });
  const config = await createServiceTopics(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const inputs: PublishEvent[] = Array.from({ length: TOTAL }, (_, i) => ({
    id: `sat-ev-${i}`, app_id: APPS[i % APPS.length]!, name: 'client_event', channel: 'private-r', event: 'client-n', data: String(i),
  }));
  await producer.publishMany(inputs);

  const a = await startService(t, raw);
  await waitUntil(() => a.inFlightEvents >= 40, 15_000, 'A fills its in-flight budget');
  assert.ok(receiver.acceptedEvents().length < TOTAL / 2, 'A is still far from done when B joins');

  const joinStarted = Date.now();
  const b = await startService(t, raw);
  const joinMs = Date.now() - joinStarted;
  // A heartbeats every second while it waits; a failed heartbeat (the rebalance) ends the
  // wait, and the rebalance completes as soon as A rejoins. A consumer that kept waiting
  // would hold B up until its whole fetched batch had gone through the budget (20 s here).
  assert.ok(joinMs < 12_000, `B joined after ${joinMs} ms`);

  await receiver.waitFor((r) => new Set(r.acceptedEvents().map((e) => e.id)).size === TOTAL, 90_000);
  const byPath = new Map<string, number>();
  for (const r of receiver.requests) byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
  const ids = receiver.acceptedEvents().map((e) => e.id);
  assert.equal(new Set(ids).size, TOTAL, 'every event arrived');
  assert.equal(receiver.invalidCount, 0);
  await waitUntil(() => a.inFlightEvents === 0 && b.inFlightEvents === 0, 10_000, 'both instances idle');
  // A's waits for room are on its metrics; the tiers' consumer never waited (there are none).
  const metrics = await a.registry.metrics();
  const waited = metricValue(metrics, 'hookstream_backpressure_seconds_total', { consumer: 'events' });
  assert.ok(waited > 0.5, `A waited for room ${waited} s`);
  assert.equal(metricValue(metrics, 'hookstream_backpressure_seconds_total', { consumer: 'retry' }), 0);
  // B took partitions over and delivered records A had not taken (B started after A had
  // filled its budget, so whatever B delivered was delivered after it joined).
  const bMetrics = await b.registry.metrics();
  const aDelivered = metricValue(metrics, 'hookstream_webhook_events_delivered_total');
  const bDelivered = metricValue(bMetrics, 'hookstream_webhook_events_delivered_total');
  assert.ok(metricValue(bMetrics, 'hookstream_events_consumed_total', { topic: config.kafka.topic }) > 0, 'B consumed events of the topic');
  assert.ok(bDelivered > 0, `B delivered ${bDelivered} events`);
  assert.ok(aDelivered + bDelivered >= TOTAL, `A delivered ${aDelivered} and B ${bDelivered} of ${TOTAL} events`);
  const duplicates = ids.length - TOTAL;
  t.diagnostic(`B joined in ${joinMs} ms and delivered ${bDelivered} events; A waited for room ${waited.toFixed(1)} s; ${duplicates} duplicates`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer } from '../../../src/producer/index.js';
import { formatDelay, topicNames } from '../../../src/kafka/topics.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil } from '../../helpers/service.js';

/** How much later than its tier's delay an attempt may arrive (the acceptance bound). */
const SLACK_MS = 1000;

test('a receiver failing 3 times gets the batch on attempt 4, after the 1 s, 2 s and 4 s tiers', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: (_req, n) => (n <= 3 ? 500 : 200) });
  t.after(() => receiver.close());
  // The real tiers, all five of them: the schedule under test is the production one.
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }],
    retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] },
  });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const now = Date.now();
  const published = [1, 2, 3].map((i) => ({ id: `ev-${i}`, time_ms: now - 1000 * i, app_id: 'app1', name: 'channel_occupied', channel: `room-${i}` }));
  await producer.publishMany(published);

  await receiver.waitFor((r) => r.requests.some((q) => q.status === 200), 25_000);
  const requests = receiver.requests;
  assert.equal(requests.length, 4, 'exactly four attempts');
  assert.deepEqual(requests.map((r) => r.headers['x-hookstream-attempt']), ['1', '2', '3', '4']);
  const ids = new Set(requests.map((r) => r.headers['x-hookstream-delivery-id']));
  assert.equal(ids.size, 1, 'one delivery id across all attempts');
  assert.equal(receiver.invalidCount, 0, 'every attempt is signed for its own body');
  const times = requests.map((r) => r.body?.time_ms);
  for (const [i, r] of requests.entries()) {
    assert.equal(typeof times[i], 'number');
    // A fresh top-level time_ms per attempt: the Python SDK rejects one 5 minutes old.
    assert.ok(Math.abs(times[i]! - r.receivedAt) < 1000, `attempt ${i + 1}: time_ms ${times[i]} is not fresh (received at ${r.receivedAt})`);
    // Each event keeps its own original time_ms and id.
    assert.deepEqual(
      r.body?.events?.map((e) => [e.id, e.time_ms]),
      published.map((e) => [e.id, e.time_ms]),
      `attempt ${i + 1} carries the same events`,
    );
  }
  assert.equal(new Set(times).size, 4, 'time_ms differs between attempts');

  const gaps = requests.slice(1).map((r, i) => r.receivedAt - requests[i]!.receivedAt);
  t.diagnostic(`attempt gaps (ms): ${gaps.join(', ')}`);
  for (const [i, delay] of [1000, 2000, 4000].entries()) {
    const gap = gaps[i]!;
    assert.ok(gap >= delay && gap <= delay + SLACK_MS, `gap before attempt ${i + 2} is ${gap} ms, wanted [${delay}, ${delay + SLACK_MS}]`);
  }

  // Metrics: one retry on each of the first three tiers, nothing dead-lettered.
  await waitUntil(() => service.inFlightEvents === 0, 5000, 'nothing in flight');
  // Read over HTTP: what a Prometheus scrape of /metrics sees.
  const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
  assert.deepEqual(
    config.retry.delays_ms.map((d) => metricValue(text, 'hookstream_webhook_retries_total', { tier: formatDelay(d) })),
    [1, 1, 1, 0, 0],
  );
  const tiers = topicNames(config).retries.map((r) => r.name);
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total'), 0);
  assert.equal(metricValue(text, 'hookstream_webhook_circuit_state', { webhook_id: `app1/${config.apps[0]!.webhooks[0]!.id}` }), 0);
  for (const tier of tiers.slice(0, 3)) {
    assert.match(text, new RegExp(`hookstream_consumer_lag\\{topic="${tier.replace(/\./g, '\\.')}",partition="\\d+"\\} \\d+`), `lag of ${tier} is exported`);
  }
});

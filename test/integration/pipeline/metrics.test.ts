/**
 * Acceptance: the operations endpoint tells the truth. After a run with successes, failed
 * attempts that are retried, and events no webhook selects, `GET /metrics` must agree with
 * what the receivers counted; `/healthz` and `/readyz` answer 200 while the service runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil } from '../../helpers/service.js';
import { sleep, stamp } from './support.js';

test('/metrics counts what the receivers counted; /healthz and /readyz are 200 while running', async (t) => {
  const app = { key: 'mk', secret: 'ms' };
  const ok = await startReceiver({ apps: app });
  t.after(() => ok.close());
  // 503 for the first two requests (retried through the tiers), then 200.
  const flaky = await startReceiver({ apps: app, status: (_req, n) => (n <= 2 ? 503 : 200) });
  t.after(() => flaky.close());
  const raw = testConfig({
    apps: [
      {
        id: 'metrics-app',
        ...app,
        webhooks: [
          { id: 'ok', url: ok.url('/ok'), event_types: ['channel_occupied', 'client_event'] },
          { id: 'flaky', url: flaky.url('/flaky'), event_types: ['client_event', 'member_added'] },
        ],
      },
    ],
    retry: { delays_ms: [300, 600, 1200] },
  });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);
  const base = `http://127.0.0.1:${service.metricsPort}`;
  assert.ok(service.metricsPort > 0);

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  await health.text();
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200, '/readyz once the groups are joined');
  await ready.text();

  const inputs: PublishEvent[] = [];
  for (let i = 0; i < 60; i++) inputs.push({ app_id: 'metrics-app', name: 'channel_occupied', channel: `room-${i}` });
  for (let i = 0; i < 40; i++) inputs.push({ app_id: 'metrics-app', name: 'client_event', channel: 'private-m', event: 'client-e', data: String(i) });
  for (let i = 0; i < 10; i++) inputs.push({ app_id: 'metrics-app', name: 'member_added', channel: 'presence-m', user_id: `u${i}` });
  for (let i = 0; i < 15; i++) inputs.push({ app_id: 'metrics-app', name: 'cache_miss', channel: `room-${i}` }); // no webhook
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-m' });
  t.after(() => producer.close());
  const published = stamp(inputs);
  // Two bursts, so that there is more than one request per webhook.
  await producer.publishMany(published.slice(0, 60));
  await sleep(300);
  await producer.publishMany(published.slice(60));

  await ok.waitFor((r) => r.acceptedEvents().length >= 100, 15_000);
  await flaky.waitFor((r) => new Set(r.acceptedEvents().map((e) => e.id)).size >= 50, 20_000);
  await waitUntil(() => service.inFlightEvents === 0, 10_000, 'nothing in flight');
  await sleep(200);

  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  const m = (name: string, labels: Record<string, string> = {}): number => metricValue(text, name, labels);

  const requests = ok.requests.length + flaky.requests.length;
  const succeeded = [...ok.requests, ...flaky.requests].filter((r) => r.status >= 200 && r.status < 300).length;
  const accepted = ok.acceptedEvents().length + flaky.acceptedEvents().length;
  t.diagnostic(
    `receivers: ${requests} requests (${succeeded} 2xx), ${accepted} accepted events; metrics: deliveries ${m('hookstream_webhook_deliveries_total')} ` +
      `(success ${m('hookstream_webhook_deliveries_total', { outcome: 'success' })}), events delivered ${m('hookstream_webhook_events_delivered_total')}`,
  );
  assert.equal(ok.invalidCount + flaky.invalidCount, 0);
  assert.equal(accepted, 150, '100 events to ok, 50 to flaky, each once');
  assert.equal(m('hookstream_webhook_events_delivered_total'), accepted, 'events delivered = events the receivers accepted');
  assert.equal(m('hookstream_webhook_events_delivered_total', { target: 'http' }), accepted);
  assert.equal(m('hookstream_webhook_deliveries_total'), requests, 'delivery attempts = requests the receivers got');
  assert.equal(m('hookstream_webhook_deliveries_total', { target: 'http', outcome: 'success' }), succeeded);
  assert.equal(m('hookstream_webhook_deliveries_total', { target: 'http', outcome: 'http_status' }), 2, 'the two 503s');
  assert.equal(m('hookstream_webhook_retries_total'), 2, 'each 503 handed its batch to a retry tier');
  assert.equal(m('hookstream_events_consumed_total', { topic: config.kafka.topic }), published.length);
  assert.equal(m('hookstream_events_dropped_total', { reason: 'no_matching_webhook' }), 15);
  assert.equal(m('hookstream_in_flight_events'), 0);
  assert.equal(m('hookstream_webhook_batch_size_count'), requests, 'one batch-size observation per attempt');
  assert.equal(m('hookstream_webhook_event_latency_seconds_count'), accepted, 'one latency observation per delivered event');

  const readyAfter = await fetch(`${base}/readyz`);
  assert.equal(readyAfter.status, 200, 'still ready after the run');
  await readyAfter.text();
});

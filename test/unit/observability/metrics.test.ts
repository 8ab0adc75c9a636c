import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, register as globalRegistry } from 'prom-client';
import { CIRCUIT_STATE, METRIC_DOCS, createMetrics, recordDelivery } from '../../../src/observability/metrics.js';

test('every documented metric is registered with its type and help, named hookstream_*', async () => {
  const registry = new Registry();
  createMetrics(registry);
  const text = await registry.metrics();
  for (const doc of METRIC_DOCS) {
    assert.match(doc.name, /^hookstream_/);
    assert.match(text, new RegExp(`^# TYPE ${doc.name} ${doc.type}$`, 'm'), doc.name);
    assert.match(text, new RegExp(`^# HELP ${doc.name} \\S`, 'm'), doc.name);
  }
  const webhookMetrics: string[] = METRIC_DOCS.filter((d) => d.name.includes('webhook')).map((d) => d.name);
  for (const name of [
    'hookstream_webhook_deliveries_total',
    'hookstream_webhook_events_delivered_total',
    'hookstream_webhook_delivery_duration_seconds',
    'hookstream_webhook_batch_size',
    'hookstream_webhook_event_latency_seconds',
    'hookstream_webhook_retries_total',
    'hookstream_webhook_dead_lettered_total',
    'hookstream_webhook_circuit_state',
  ]) {
    assert.ok(webhookMetrics.includes(name), name);
  }
  assert.match(text, /^process_cpu_user_seconds_total/m, 'default process metrics');
  assert.match(text, /^nodejs_eventloop_lag_seconds/m);
});

test('the global registry is left alone and two registries do not collide', async () => {
  const before = (await globalRegistry.metrics()).includes('hookstream_');
  createMetrics(new Registry());
  createMetrics(new Registry());
  assert.equal((await globalRegistry.metrics()).includes('hookstream_'), before);
  assert.equal(before, false);
});

test('labels and buckets as documented', async () => {
  const registry = new Registry();
  const m = createMetrics(registry);
  m.eventsConsumed.inc({ topic: 'hookstream.events' }, 3);
  m.eventsDropped.inc({ reason: 'no_matching_webhook' }, 2);
  m.consumerLag.set({ topic: 'hookstream.events', partition: '4' }, 17);
  m.circuitState.set({ webhook_id: 'app-1/wh-1' }, CIRCUIT_STATE.open);
  m.retries.inc({ tier: '0' });
  m.deadLettered.inc({ reason: 'http_410' });
  m.inFlight.set(42);
  m.batchSize.observe(1000);
  m.batchSize.observe(7000);
  const text = await registry.metrics();
  assert.match(text, /^hookstream_events_consumed_total\{topic="hookstream.events"\} 3$/m);
  assert.match(text, /^hookstream_events_dropped_total\{reason="no_matching_webhook"\} 2$/m);
  // Unknown apps are dead-lettered, not dropped: no series that would stay 0 forever.
  assert.doesNotMatch(text, /hookstream_events_dropped_total\{reason="unknown_app"\}/);
  assert.match(text, /^hookstream_consumer_lag\{topic="hookstream.events",partition="4"\} 17$/m);
  assert.match(text, /^hookstream_webhook_circuit_state\{webhook_id="app-1\/wh-1"\} 2$/m);
  assert.match(text, /^hookstream_webhook_retries_total\{tier="0"\} 1$/m);
  assert.match(text, /^hookstream_webhook_dead_lettered_total\{reason="http_410"\} 1$/m);
  assert.match(text, /^hookstream_in_flight_events 42$/m);
  assert.match(text, /^hookstream_webhook_batch_size_bucket\{le="1"\} 0$/m);
  assert.match(text, /^hookstream_webhook_batch_size_bucket\{le="1000"\} 1$/m);
  assert.match(text, /^hookstream_webhook_batch_size_bucket\{le="5000"\} 1$/m);
  assert.match(text, /^hookstream_webhook_batch_size_bucket\{le="10000"\} 2$/m, "batches up to the 100,000 the config allows are not all lumped above 1000");
  assert.match(text, /^hookstream_webhook_event_latency_seconds_bucket\{le="0.005"\} 0$/m);
  assert.match(text, /^hookstream_webhook_event_latency_seconds_bucket\{le="60"\} 0$/m);
});

test('recordDelivery counts requests, events, latency and failure kinds', async () => {
  const registry = new Registry();
  const m = createMetrics(registry);
  const now = 1_700_000_010_000;
  recordDelivery(m, 'http', { ok: true, statusCode: 200, durationMs: 12 }, [now - 20, now - 3_000], now);
  recordDelivery(m, 'lambda', { ok: false, kind: 'timeout', message: 't', durationMs: 500 }, [now - 1], now);
  const text = await registry.metrics();
  assert.match(text, /^hookstream_webhook_deliveries_total\{target="http",outcome="success"\} 1$/m);
  assert.match(text, /^hookstream_webhook_deliveries_total\{target="lambda",outcome="timeout"\} 1$/m);
  assert.match(text, /^hookstream_webhook_events_delivered_total\{target="http"\} 2$/m);
  assert.match(text, /^hookstream_webhook_events_delivered_total\{target="lambda"\} 0$/m);
  assert.match(text, /^hookstream_webhook_event_latency_seconds_bucket\{le="0.025"\} 1$/m);
  assert.match(text, /^hookstream_webhook_event_latency_seconds_bucket\{le="5"\} 2$/m);
  assert.match(text, /^hookstream_webhook_event_latency_seconds_count 2$/m);
  assert.match(text, /^hookstream_webhook_delivery_duration_seconds_count\{target="lambda"\} 1$/m);
  assert.match(text, /^hookstream_webhook_batch_size_count 2$/m);
});

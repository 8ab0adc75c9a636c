import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { DeliveryOutcome, FailureKind } from '../pipeline/deliver/types.js';

/**
 * The service's Prometheus metrics. The registry is always a parameter, never
 * prom-client's global one, so tests (and embedders running two pipelines in one
 * process) each get their own. Every name starts with `hookstream_`, and every metric
 * about webhook delivery contains `webhook`, so `curl /metrics | grep webhook` (the
 * command Sockudo's guide suggests) finds them.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDoc {
  name: string;
  type: MetricType;
  labels: readonly string[];
  help: string;
}

/** Seconds; event latency includes batching and retry delays, hence the long tail to 60 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds; a request is bounded by request_timeout_ms (10 s by default, at most 600 s). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Events per request (`webhooks.batching.size` is 100 by default and may go up to 100,000). */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/** Every metric hookstream defines, in the order README lists them. */
export const METRIC_DOCS = [
  { name: 'hookstream_events_consumed_total', type: 'counter', labels: ['topic'], help: 'Events read from Kafka and decoded.' },
  { name: 'hookstream_events_dropped_total', type: 'counter', labels: ['reason'], help: 'Events deliberately not delivered, by reason (no_matching_webhook: no webhook of the app selects the event). Events of unknown apps are dead-lettered instead.' },
  { name: 'hookstream_webhook_deliveries_total', type: 'counter', labels: ['target', 'outcome'], help: 'Delivery attempts (requests or invocations) by target (http, lambda) and outcome (success, or the failure kind: http_status, network, timeout, invalid_target, function_error, lambda_error, payload_too_large).' },
  { name: 'hookstream_webhook_events_delivered_total', type: 'counter', labels: ['target'], help: 'Events in successfully delivered batches (events, not requests).' },
  { name: 'hookstream_webhook_delivery_duration_seconds', type: 'histogram', labels: ['target'], help: 'Duration of one delivery attempt, from sending to the complete response.' },
  { name: 'hookstream_webhook_batch_size', type: 'histogram', labels: [], help: 'Events per delivery attempt (the size of the batch sent).' },
  { name: 'hookstream_webhook_event_latency_seconds', type: 'histogram', labels: [], help: 'Time from the event (its time_ms) to its successful delivery, batching and retries included.' },
  { name: 'hookstream_in_flight_events', type: 'gauge', labels: [], help: 'Events consumed but not yet delivered, dead-lettered or handed to a retry tier.' },
  { name: 'hookstream_backpressure_seconds_total', type: 'counter', labels: ['consumer'], help: 'Time a consumer (events, retry) waited for room under delivery.max_in_flight_events instead of taking records: the endpoints, not Kafka, set the pace.' },
  { name: 'hookstream_consumer_lag', type: 'gauge', labels: ['topic', 'partition'], help: 'Records between the committed offset and the end of each partition.' },
  { name: 'hookstream_webhook_retries_total', type: 'counter', labels: ['tier'], help: 'Batches handed to a retry tier, by tier.' },
  { name: 'hookstream_webhook_deferred_total', type: 'counter', labels: ['reason'], help: 'Batches handed to a retry tier without an attempt, by reason (circuit_open: the endpoint is failing; endpoint_backlog: it has more than max_queued_per_endpoint events waiting).' },
  { name: 'hookstream_webhook_dead_lettered_total', type: 'counter', labels: ['reason'], help: 'Batches sent to the dead-letter topic, by reason (retries_exhausted, http_410, redirect_301, invalid_target, payload_too_large, ...).' },
  { name: 'hookstream_webhook_circuit_state', type: 'gauge', labels: ['webhook_id'], help: 'Circuit breaker state per webhook: 0 closed, 1 half-open, 2 open.' },
  { name: 'hookstream_handoff_errors_total', type: 'counter', labels: ['reason'], help: 'Failed sends of hand-offs (retry tier and dead-letter records), each tried again while its events stay unfinished, by the broker\'s error type (MESSAGE_TOO_LARGE, ...; other: no broker answer). A steady rise means a topic refuses records and their offsets cannot move.' },
] as const satisfies readonly MetricDoc[];

export type MetricName = (typeof METRIC_DOCS)[number]['name'];

/** Reasons for `hookstream_events_dropped_total`. */
export type DropReason = 'no_matching_webhook';

/** Values of `hookstream_webhook_circuit_state`. */
export const CIRCUIT_STATE = { closed: 0, half_open: 1, open: 2 } as const;

export type DeliveryTarget = 'http' | 'lambda';

/** The `outcome` label of `hookstream_webhook_deliveries_total`. */
export type DeliveryOutcomeLabel = 'success' | FailureKind;

export interface Metrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic'>;
  readonly eventsDropped: Counter<'reason'>;
  readonly deliveries: Counter<'target' | 'outcome'>;
  readonly eventsDelivered: Counter<'target'>;
  readonly deliveryDuration: Histogram<'target'>;
  readonly batchSize: Histogram;
  readonly eventLatency: Histogram;
  readonly inFlight: Gauge;
  readonly backpressure: Counter<'consumer'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly retries: Counter<'tier'>;
  readonly deadLettered: Counter<'reason'>;
  readonly deferred: Counter<'reason'>;
  readonly circuitState: Gauge<'webhook_id'>;
  readonly handoffErrors: Counter<'reason'>;
}

function doc(name: MetricName): MetricDoc {
  const d = METRIC_DOCS.find((m) => m.name === name);
  if (d === undefined) throw new Error(`metric ${name} is not documented`);
  return d;
}

function counter<L extends string>(registry: Registry, name: MetricName): Counter<L> {
  const d = doc(name);
  return new Counter<L>({ name, help: d.help, labelNames: d.labels as readonly L[], registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: MetricName): Gauge<L> {
  const d = doc(name);
  return new Gauge<L>({ name, help: d.help, labelNames: d.labels as readonly L[], registers: [registry] });
}

function histogram<L extends string>(registry: Registry, name: MetricName, buckets: number[]): Histogram<L> {
  const d = doc(name);
  return new Histogram<L>({ name, help: d.help, labelNames: d.labels as readonly L[], buckets, registers: [registry] });
}

/**
 * Registers hookstream's metrics and Node's default process metrics (`process_*`,
 * `nodejs_*`, unprefixed as every dashboard expects them) on `registry`. Call it once per
 * registry: prom-client refuses to register a name twice.
 */
export function createMetrics(registry: Registry): Metrics {
  const metrics: Metrics = {
    registry,
    eventsConsumed: counter(registry, 'hookstream_events_consumed_total'),
    eventsDropped: counter(registry, 'hookstream_events_dropped_total'),
    deliveries: counter(registry, 'hookstream_webhook_deliveries_total'),
    eventsDelivered: counter(registry, 'hookstream_webhook_events_delivered_total'),
    deliveryDuration: histogram(registry, 'hookstream_webhook_delivery_duration_seconds', DURATION_BUCKETS),
    batchSize: histogram(registry, 'hookstream_webhook_batch_size', BATCH_SIZE_BUCKETS),
    eventLatency: histogram(registry, 'hookstream_webhook_event_latency_seconds', LATENCY_BUCKETS),
    inFlight: gauge(registry, 'hookstream_in_flight_events'),
    backpressure: counter(registry, 'hookstream_backpressure_seconds_total'),
    consumerLag: gauge(registry, 'hookstream_consumer_lag'),
    retries: counter(registry, 'hookstream_webhook_retries_total'),
    deadLettered: counter(registry, 'hookstream_webhook_dead_lettered_total'),
    deferred: counter(registry, 'hookstream_webhook_deferred_total'),
    circuitState: gauge(registry, 'hookstream_webhook_circuit_state'),
    handoffErrors: counter(registry, 'hookstream_handoff_errors_total'),
  };
  // Series that exist from the start, so that rate() and alerts see a 0 rather than
  // no data before the first occurrence.
  for (const reason of ['no_matching_webhook'] satisfies DropReason[]) metrics.eventsDropped.inc({ reason }, 0);
  for (const target of ['http', 'lambda'] satisfies DeliveryTarget[]) {
    metrics.deliveries.inc({ target, outcome: 'success' }, 0);
    metrics.eventsDelivered.inc({ target }, 0);
  }
  metrics.deadLettered.inc({ reason: 'retries_exhausted' }, 0);
  for (const consumer of ['events', 'retry']) metrics.backpressure.inc({ consumer }, 0);
  collectDefaultMetrics({ register: registry });
  return metrics;
}

/**
 * Records one delivery attempt: the attempt counter (outcome `success` or the failure
 * kind), duration and batch size always; on success also the delivered events and each
 * event's latency (`nowMs - time_ms`).
 *
 * @param eventTimesMs - the `time_ms` of each event in the batch, in any order
 * @param nowMs - the time of the successful response @defaultValue Date.now()
 */
export function recordDelivery(
  metrics: Metrics,
  target: DeliveryTarget,
  outcome: DeliveryOutcome,
  eventTimesMs: readonly number[],
  nowMs: number = Date.now(),
): void {
  metrics.deliveries.inc({ target, outcome: outcome.ok ? 'success' : outcome.kind });
  metrics.deliveryDuration.observe({ target }, outcome.durationMs / 1000);
  metrics.batchSize.observe(eventTimesMs.length);
  if (!outcome.ok) return;
  metrics.eventsDelivered.inc({ target }, eventTimesMs.length);
  for (const t of eventTimesMs) metrics.eventLatency.observe(Math.max(0, nowMs - t) / 1000);
}

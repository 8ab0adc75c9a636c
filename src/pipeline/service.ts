import type { KafkaMessage, IHeaders } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { AppConfig, HookstreamConfig, WebhookConfig } from '../config/types.js';
import { decodeEvent, eventCodec } from '../contract/index.js';
import type { WebhookEvent } from '../contract/types.js';
import { eventRuleViolation, keepsEventRules } from '../contract/event-rules.js';
import { HookstreamError, errorMessage } from '../errors.js';
import { AckedSender, kafkaErrorType } from '../kafka/acked-sender.js';
import { ThreadedSender, type RecordSender } from '../kafka/threaded-sender.js';
import { createKafka, kafkaConnection } from '../kafka/client.js';
import { formatDelay, topicNames, type TopicNames } from '../kafka/topics.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { startHealthServer, type HealthServer } from '../observability/health-server.js';
import type { Batch, BatchItem } from './batch/types.js';
import { WebhookQueue } from './batch/webhook-queue.js';
import { GroupConsumer } from './consume/consumer.js';
import { PartitionOffsets } from './consume/offset-tracker.js';
import { lazyDeliverer } from './deliver/lazy.js';
import { ThreadedDeliverer } from './deliver/threaded.js';
import type { Deliverer, DeliveryOutcome } from './deliver/types.js';
import { eventJson } from './deliver/wire.js';
import { CircuitBreaker } from './retry/circuit-breaker.js';
import {
  DLQ_HEADERS,
  decodeDeliveryRecord,
  deliveryCodec,
  encodeDeliveryRecord,
  peekDelivery,
  withNotBefore,
  type DeliveryHead,
  type PeekedDelivery,
  type WebhookDeliveryRecord,
} from './retry/delivery-record.js';
import { decideRetry, isRetryable } from './retry/policy.js';
import { Router } from './route/router.js';

export interface ServiceOptions {
  config: HookstreamConfig;
  logger: Logger;
  /** Metrics registry; a fresh one by default. */
  registry?: Registry;
  /** Override the deliverer (benchmarks); HTTP + Lambda by default. */
  deliverer?: Deliverer;
  /** @defaultValue 1000 */
  commitIntervalMs?: number;
  /**
   * Join the consumer groups and consume (the service). False for a process that only
   * delivers what it is handed (`hookstream redeliver`). @defaultValue true
   */
  consume?: boolean;
}

/** In-flight events at or below this share of the limit let a waiting consumer go on. */
const RESUME_RATIO = 0.5;
/** How far ahead of this instance's clock another instance's clock may plausibly run. */
const MAX_CLOCK_SKEW_MS = 1000;

/**
 * hookstream's delivery service: the events topic and the retry tiers in, webhooks out.
 *
 *   events topic ──► decode ──► route ──► WebhookQueue per (app, webhook) ──► deliver
 *                      │           │                                          │ fail
 *                      ▼           ▼                                          ▼
 *                  dead letter (undecodable, unknown_app)        retry tier N / dead letter
 *   retry tiers ──► wait until due ──► same WebhookQueue ──► deliver ...
 *
 * Every record taken from Kafka is held in its partition's PartitionOffsets until each of
 * its deliveries has succeeded or been handed to a retry tier or the dead-letter topic with
 * the broker's acknowledgement; only then can the commit point pass it.
 */
export class HookstreamService {
  readonly metrics: Metrics;
  readonly registry: Registry;
  readonly #config: HookstreamConfig;
  readonly #log: Logger;
  readonly #topics: TopicNames;
  readonly #router: Router;
  readonly #deliverer: Deliverer;
  readonly #sender: RecordSender;
  readonly #events: GroupConsumer;
  readonly #tiers: GroupConsumer | undefined;
  readonly #queues = new Map<string, WebhookQueue>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #handoffs = new Set<Promise<void>>();
  readonly #unknownAppLogged = new Map<string, number>();
  /** Aborted when close() begins: wakes hand-offs that wait to try again. */
  readonly #shutdown = new AbortController();
  #inFlight = 0;
  /** When an implausibly far due time was last logged, per tier topic. */
  readonly #implausibleDueLogged = new Map<string, number>();
  #consumed = 0;
  /** Live (non-replay) queues by webhook object: a lookup per event without building a key. */
  readonly #queueOf = new Map<WebhookConfig, WebhookQueue>();
  #health: HealthServer | undefined;
  #closing: Promise<void> | undefined;
  #started = false;
  readonly #consume: boolean;

  constructor(options: ServiceOptions) {
    const { config, logger } = options;
    this.#config = config;
    this.#log = logger;
    this.#consume = options.consume ?? true;
    this.registry = options.registry ?? new Registry();
    this.metrics = createMetrics(this.registry);
    this.#topics = topicNames(config);
    this.#router = new Router(config.apps);
    const threads = config.delivery.worker_threads;
    const cap = config.delivery.max_connections_per_origin;
    const http = cap > 0 ? { connectionsPerOrigin: cap } : {};
    this.#deliverer =
      options.deliverer ??
      (threads > 0
        ? new ThreadedDeliverer({ threads, http, logger })
        : lazyDeliverer(async () => (await import('./deliver/index.js')).createDeliverer({ http, logger })));
    const connection = kafkaConnection(config.kafka);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.client_id, connection, logger });
    this.#sender =
      threads > 0
        ? new ThreadedSender({ brokers: config.kafka.brokers, clientId: config.kafka.client_id, connection, compression: config.kafka.handoff_compression, logger })
        : new AckedSender(kafka, { compression: config.kafka.handoff_compression, logger });
    const common = {
      kafka,
      logger,
      isSaturated: () => this.#inFlight >= config.delivery.max_in_flight_events,
      commitIntervalMs: options.commitIntervalMs ?? 1000,
      // Called once per fetched batch: also the cheap moment to refresh the in-flight gauge,
      // which #release keeps current on the way down.
      onLag: (topic: string, partition: number, lag: number) => {
        if (this.#consumed > 0 && topic === this.#topics.events) {
          this.metrics.eventsConsumed.inc({ topic }, this.#consumed);
          this.#consumed = 0;
        }
        this.metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
        this.metrics.inFlight.set(this.#inFlight);
      },
      onFatal: (err: Error) => this.#fatal(err),
    };
    this.#events = new GroupConsumer({
      ...common,
      groupId: config.kafka.group_id,
      topics: [this.#topics.events],
      onRecord: (tracker, message) => this.#onEventRecord(tracker, message),
      onWaited: (seconds) => this.metrics.backpressure.inc({ consumer: 'events' }, seconds),
    });
    // Retry tiers are consumed by a group of their own, so that waiting on a tier (a paused
    // partition) never holds up the events topic.
    this.#tiers =
      this.#topics.retries.length === 0
        ? undefined
        : new GroupConsumer({
            ...common,
            groupId: `${config.kafka.group_id}.retry`,
            topics: this.#topics.retries.map((t) => t.name),
            onRecord: (tracker, message) => this.#onTierRecord(tracker, message),
            onWaited: (seconds) => this.metrics.backpressure.inc({ consumer: 'retry' }, seconds),
          });
  }

  /** Joined the events group (and the tiers' group) and not shutting down. */
  get ready(): boolean {
    return this.#started && !this.#closing && this.#events.joined && (this.#tiers?.joined ?? true);
  }

  get inFlightEvents(): number {
    return this.#inFlight;
  }

  /**
   * Starts the metrics server, the hand-off producers and the consumers. If any of it fails
   * (a broker that does not answer, a port in use) what did start is closed again before
   * the error is thrown: a half-started service would keep the process alive with
   * `/healthz` answering 200 and never restart. A `close()` during start wins: start stops
   * at the next step.
   */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (err) {
      // A close() during start makes the step it interrupted fail: that is no error.
      const closeRequested = this.#closing !== undefined;
      await this.close();
      if (!closeRequested) throw err;
    }
  }

  async #start(): Promise<void> {
    const { metrics: m } = this.#config;
    if (m.enabled) {
      this.#health = await startHealthServer({ host: m.host, port: m.port, registry: this.registry, isReady: () => this.ready, logger: this.#log }).catch((err: unknown) => {
        throw metricsListenError(err, m.host, m.port);
      });
      this.#log.info({ port: this.#health.port }, 'metrics and health on /metrics, /healthz, /readyz');
    }
    if (this.#closing) return;
    await this.#sender.connect();
    this.#started = true;
    if (!this.#consume || this.#closing) return;
    await this.#events.start();
    if (this.#closing) return;
    await this.#tiers?.start();
    this.#log.info(
      { topic: this.#topics.events, group: this.#config.kafka.group_id, apps: this.#config.apps.length, tiers: this.#topics.retries.map((t) => t.name) },
      'hookstream started',
    );
  }

  /** The bound metrics port (0 when metrics are off). */
  get metricsPort(): number {
    return this.#health?.port ?? 0;
  }

  // ---- events topic ------------------------------------------------------------------

  #onEventRecord(tracker: PartitionOffsets, message: KafkaMessage): void {
    // Counted here, added to the metric once per fetched batch (onLag): a labelled inc per
    // event was a measurable share of a busy service thread.
    this.#consumed++;
    let event: WebhookEvent;
    try {
      if (!message.value) throw new Error('record has no value (tombstone)');
      event = decodeEvent(message.value);
    } catch (err) {
      this.#deadLetterRaw(tracker, message, 'undecodable', errorMessage(err));
      return;
    }
    // The schema lets any field be set on any event; the field table says which it has.
    if (!keepsEventRules(event)) {
      this.#deadLetterRaw(tracker, message, 'invalid_event', eventRuleViolation(event)?.message ?? 'breaks the event field table');
      return;
    }
    const route = this.#router.route(event);
    if (route.kind === 'unknown_app') {
      const last = this.#unknownAppLogged.get(event.app_id) ?? 0;
      if (Date.now() - last > 60_000) {
        // Bounded: a stream of ever new unknown ids must not grow this map forever.
        if (this.#unknownAppLogged.size >= 10_000) this.#unknownAppLogged.clear();
        this.#unknownAppLogged.set(event.app_id, Date.now());
        this.#log.warn({ app_id: event.app_id }, 'event of an app not in the config: dead-lettered as unknown_app (logged once a minute per app)');
      }
      this.#deadLetterRaw(tracker, message, 'unknown_app', `app ${event.app_id} is not configured`);
      return;
    }
    if (route.webhooks.length === 0) {
      // Deliberate drop: no webhook of the app asked for this event.
      tracker.take(Number(message.offset), 0);
      this.metrics.eventsDropped.inc({ reason: 'no_matching_webhook' });
      return;
    }
    const entry = tracker.take(Number(message.offset), route.webhooks.length);
    this.#inFlight++;
    const json = eventJson(event);
    const bytes = Buffer.byteLength(json);
    // The record is kept so that a hand-off to a retry tier copies its Avro body instead of
    // encoding the event again. Kept as a copy: `message.value` is a slice of the whole
    // fetch response (up to 2 MiB), and an event queued for a stalled endpoint would pin
    // all of it for as long as it waits. The copy (a few hundred bytes from Node's buffer
    // pool) costs ~0.2 µs per event.
    const record = eventCodec().isCurrent(message.value) ? copyOf(message.value) : undefined;
    for (const webhook of route.webhooks) {
      this.#queue(route.app, webhook).add({ event, json, record, timeMs: event.time_ms, bytes, source: { tracker, entry } });
    }
  }

  // ---- retry tiers -------------------------------------------------------------------

  #onTierRecord(tracker: PartitionOffsets, message: KafkaMessage): number | void {
    // The head alone decides most records: one not yet due is held (its partition paused),
    // one whose endpoint is still down or swamped moves on as bytes. Only a record about to
    // be attempted has its events decoded.
    const peeked = message.value ? peekDelivery(message.value) : undefined;
    if (peeked) {
      const wait = this.#notYetDue(tracker, peeked.head.not_before_ms);
      if (wait !== undefined) return wait;
      if (this.#moveOn(tracker, message, peeked)) return;
    }
    let record: WebhookDeliveryRecord;
    try {
      if (!message.value) throw new Error('record has no value (tombstone)');
      record = decodeDeliveryRecord(message.value);
    } catch (err) {
      this.#deadLetterRaw(tracker, message, 'undecodable', errorMessage(err));
      return;
    }
    const wait = this.#notYetDue(tracker, record.not_before_ms);
    if (wait !== undefined) return wait;
    if (record.events.length === 0) {
      // Nothing to deliver: only a hand-made or foreign record can be empty. Held with no
      // events it would never be released (and hold in-flight room forever).
      tracker.take(Number(message.offset), 0);
      this.#log.warn({ topic: tracker.topic, partition: tracker.partition, offset: message.offset, delivery_id: record.delivery_id }, 'retry record without events skipped');
      return;
    }
    const app = this.#router.app(record.app_id);
    const webhook = app && this.#router.webhook(record.app_id, record.webhook_id);
    const entry = tracker.take(Number(message.offset), record.events.length);
    // Counted by its events, not as one: the budget bounds decoded events in memory, and
    // after an outage a tier could otherwise bring in max_in_flight_events records of a
    // hundred events each.
    const source = { tracker, entry, events: record.events.length };
    this.#inFlight += source.events;
    const items: BatchItem[] = record.events.map((event) => {
      const json = eventJson(event);
      return { event, json, timeMs: event.time_ms, bytes: Buffer.byteLength(json), source };
    });
    const origin = { topic: tracker.topic, partition: tracker.partition, offset: message.offset };
    if (!app || !webhook) {
      const reason = app ? 'webhook_removed' : 'unknown_app';
      // #handOff never rejects: it retries until acknowledged or shutdown, then releases.
      void this.#handOff(items, () =>
        this.#publishDeadLetter(deliveryCodec().encode(record), record, reason, `${reason}: ${record.app_id}/${record.webhook_id} is not in the config`, origin),
      );
      return;
    }
    this.#queue(app, webhook).enqueue({
      sourceTier: this.#tierIndex(tracker.topic),
      deliveryId: record.delivery_id,
      app,
      webhook,
      items,
      attempts: record.attempt,
      tier: record.tier,
      firstFailureMs: record.first_failure_ms,
      lastError: record.last_error,
      replay: record.replay,
    });
  }

  /**
   * When a tier record is due: undefined when it is due now, else the time to hold its
   * partition until. A record is written `delay` ahead of its writer's clock, so a due time
   * further ahead than its tier's delay (plus a second of clock skew) cannot be right: a
   * writer's clock far ahead, or a hand-made or damaged record. Held as asked, it would
   * stall its partition for that long (forever, past 2^31 ms, where Node fires a timer at
   * once and the partition would spin); it is delivered now instead, with a warning.
   */
  #notYetDue(tracker: PartitionOffsets, notBeforeMs: number): number | undefined {
    const now = Date.now();
    if (notBeforeMs <= now) return undefined;
    const delay = this.#topics.retries[this.#tierIndex(tracker.topic)]?.delayMs ?? 0;
    if (notBeforeMs <= now + delay + MAX_CLOCK_SKEW_MS) return notBeforeMs;
    const last = this.#implausibleDueLogged.get(tracker.topic) ?? 0;
    if (now - last > 60_000) {
      this.#implausibleDueLogged.set(tracker.topic, now);
      this.#log.warn(
        { topic: tracker.topic, partition: tracker.partition, not_before: new Date(notBeforeMs).toISOString(), tier_delay_ms: delay },
        'retry record due further ahead than its tier delay (a writer clock ahead, or a damaged record): delivered now (logged once a minute per tier)',
      );
    }
    return undefined;
  }

  /**
   * A due retry record whose endpoint cannot take it now (circuit open, or every slot busy
   * with a backlog waiting) goes to a later tier unchanged but for `not_before_ms`: its
   * events are copied as bytes, not decoded and encoded again, so a dead endpoint costs the
   * tiers a Kafka write per hop and nothing more. Returns false when the record should be
   * decoded and delivered (or dead-lettered) as usual.
   */
  #moveOn(tracker: PartitionOffsets, message: KafkaMessage, peeked: PeekedDelivery): boolean {
    const tiers = this.#topics.retries;
    const { head } = peeked;
    const app = this.#router.app(head.app_id);
    const webhook = app && this.#router.webhook(head.app_id, head.webhook_id);
    if (!app || !webhook) return false;
    const key = `${app.id}\u0000${webhook.id}`;
    const breaker = this.#breakers.get(key);
    const queue = this.#queues.get(key);
    let wait: number;
    let reason: 'circuit_open' | 'endpoint_backlog';
    if (breaker?.state === 'open') {
      wait = breaker.remainingMs();
      reason = 'circuit_open';
    } else if (queue?.congested) {
      wait = stallWaitMs(queue, webhook);
      reason = 'endpoint_backlog';
    } else {
      return false;
    }
    const tier = this.#deferralTier(wait, this.#tierIndex(tracker.topic));
    const value = message.value!;
    const entry = tracker.take(Number(message.offset), 1);
    this.#inFlight++;
    this.metrics.deferred.inc({ reason });
    void this.#handOff([{ source: { tracker, entry } }], () =>
      this.#sender.send({
        topic: tiers[tier]!.name,
        key: head.app_id,
        value: withNotBefore(value, peeked, Date.now() + tiers[tier]!.delayMs),
        owned: true,
        headers: { 'hookstream-delivery-id': head.delivery_id },
      }),
    );
    return true;
  }

  /**
   * The tier for a batch deferred without an attempt: the first whose delay covers
   * `waitMs`, capped at the last; one read from tier `fromTier` goes at least one further,
   * so a batch that keeps being deferred waits longer each time.
   */
  #deferralTier(waitMs: number, fromTier: number): number {
    const last = this.#topics.retries.length - 1;
    const covering = this.#topics.retries.findIndex((t) => t.delayMs >= waitMs);
    return Math.max(covering < 0 ? last : covering, Math.min(last, fromTier + 1));
  }

  /** Index in `retry.delays_ms` of a retry tier topic (-1 for any other topic). */
  #tierIndex(topic: string): number {
    return this.#topics.retries.findIndex((t) => t.name === topic);
  }

  // ---- delivery ----------------------------------------------------------------------

  /**
   * Delivers events once more to one webhook of an app (operator redelivery): the normal
   * batching, signing and retry path, every request marked `X-Hookstream-Replay: true`.
   * Resolves when each event is delivered or handed to a retry tier or the dead-letter
   * topic; `onFinished` is called per finished event (progress).
   */
  async redeliver(app: AppConfig, webhook: WebhookConfig, events: readonly WebhookEvent[], onFinished?: () => void): Promise<void> {
    if (events.length === 0) return;
    let left = events.length;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    // A private tracker gives each event the same hold-until-finished bookkeeping as a record.
    const tracker = new PartitionOffsets('redeliver', 0, 0, () => {
      onFinished?.();
      if (--left === 0) done();
    });
    const queue = this.#queue(app, webhook, true);
    events.forEach((event, i) => {
      const json = eventJson(event);
      const entry = tracker.take(i, 1);
      this.#inFlight++;
      queue.add({ event, json, timeMs: event.time_ms, bytes: Buffer.byteLength(json), source: { tracker, entry } });
    });
    queue.flush();
    await finished;
  }

  #queue(app: AppConfig, webhook: WebhookConfig, replay = false): WebhookQueue {
    // The per-event path: found by the webhook object, without building a key.
    const live = replay ? undefined : this.#queueOf.get(webhook);
    if (live) return live;
    const key = `${app.id}\u0000${webhook.id}${replay ? '\u0000replay' : ''}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      const created: WebhookQueue = new WebhookQueue({
        app,
        webhook,
        replay,
        batching: this.#config.webhooks.batching,
        maxBodyBytes: this.#config.delivery.max_body_bytes,
        concurrency: this.#config.delivery.concurrency_per_endpoint,
        send: (batch) => this.#send(batch),
        ...(this.#topics.retries.length > 0
          ? {
              maxQueuedEvents: this.#maxQueuedPerEndpoint(),
              overflow: (batch: Batch) => void this.#defer(batch, stallWaitMs(created, webhook), 'endpoint backlog'),
            }
          : {}),
      });
      this.#queues.set(key, created);
      if (!replay) this.#queueOf.set(webhook, created);
      queue = created;
    }
    return queue;
  }

  /**
   * The per-endpoint queue cap in effect: `max_queued_per_endpoint`, but never more than a
   * quarter of `max_in_flight_events`. A stalled endpoint keeps its capped queue plus its
   * running requests in flight; if that alone stayed above the resume mark (half the
   * in-flight budget) a waiting consumer would never go on, and every endpoint would wait
   * for the stalled one's requests to time out.
   */
  #maxQueuedPerEndpoint(): number {
    const { max_queued_per_endpoint, max_in_flight_events } = this.#config.delivery;
    return Math.max(1, Math.min(max_queued_per_endpoint, Math.floor(max_in_flight_events / 4)));
  }

  #breaker(key: string): CircuitBreaker {
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      const { failures, cooldown_ms } = this.#config.delivery.circuit_breaker;
      breaker = new CircuitBreaker({ failures, cooldownMs: cooldown_ms });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  async #send(batch: Batch): Promise<void> {
    const { webhook, app } = batch;
    const target = webhook.target.kind;
    const breakerKey = `${app.id}\u0000${webhook.id}`;
    const breaker = this.#breaker(breakerKey);
    const circuit = () => this.metrics.circuitState.set({ webhook_id: `${app.id}/${webhook.id}` }, CIRCUIT_VALUE[breaker.state]);
    const allowed = breaker.allow();
    // With no retry tier there is nowhere to defer to: the breaker only reports its state.
    if (allowed === undefined && this.#topics.retries.length > 0) {
      circuit();
      // Not awaited: the hand-off holds the batch's events (in flight, uncommitted) until
      // the broker acknowledges it, but not a delivery slot. Awaited, an open circuit would
      // defer at most `concurrency_per_endpoint` batches per broker round trip while the
      // rest of its queue held the in-flight budget that healthy endpoints need.
      void this.#defer(batch, breaker.remainingMs(), 'circuit open');
      return;
    }
    const kind = allowed ?? 'attempt';
    batch.attempts++;
    this.metrics.batchSize.observe(batch.items.length);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.#deliverer.deliver({
        deliveryId: batch.deliveryId,
        attempt: batch.attempts,
        app,
        webhook,
        eventsJson: batch.items.map((i) => i.json),
        ...(batch.replay ? { replay: true } : {}),
      });
    } catch (err) {
      // Deliverers report failures as outcomes; a throw is a bug, but must not lose events.
      outcome = { ok: false, kind: 'network', message: `deliverer threw: ${errorMessage(err)}`, durationMs: 0 };
    }
    this.metrics.deliveryDuration.observe({ target }, outcome.durationMs / 1000);
    if (outcome.ok) {
      breaker.success(kind);
      circuit();
      this.metrics.deliveries.inc({ target, outcome: 'success' });
      this.metrics.eventsDelivered.inc({ target }, batch.items.length);
      const now = Date.now();
      for (const item of batch.items) {
        this.metrics.eventLatency.observe(Math.max(0, now - item.timeMs) / 1000);
        this.#release(item);
      }
      return;
    }
    this.metrics.deliveries.inc({ target, outcome: outcome.kind });
    const error = `${outcome.kind}${outcome.statusCode === undefined ? '' : ` ${outcome.statusCode}`}: ${outcome.message}`;
    batch.firstFailureMs ??= Date.now();
    batch.lastError = error;
    const decision = decideRetry(outcome, batch.tier, this.#config.retry.delays_ms);
    // Only failures worth retrying count against the endpoint. A permanent one (410, 400,
    // a redirect) is an answer: it is dead-lettered at once, also the sixth time in a row,
    // instead of an open circuit sending such batches through the tiers first.
    if (isRetryable(outcome)) breaker.failure(kind);
    else breaker.success(kind);
    circuit();
    this.#log.warn(
      { app_id: app.id, webhook_id: webhook.id, delivery_id: batch.deliveryId, attempt: batch.attempts, error, decision: decision.action },
      'webhook delivery failed',
    );
    if (decision.action === 'retry') {
      await this.#handOff(batch.items, async () => {
        await this.#publishRetry(batch, decision.tier, decision.delayMs, error, decision.progress);
        this.metrics.retries.inc({ tier: formatDelay(this.#topics.retries[decision.tier]!.delayMs) });
      });
    } else {
      const origin = originOf(batch);
      await this.#handOff(batch.items, () => {
        const record = recordOf(batch, batch.tier, Date.now(), error);
        return this.#publishDeadLetter(encodeDeliveryRecord(record, batch.items), record, decision.reason, error, origin);
      });
    }
  }

  /**
   * Hands a batch to a retry tier without an attempt (open circuit, endpoint backlog): the
   * first tier whose delay covers `waitMs`, capped at the last. Its retry progress is kept,
   * so a deferred batch still gets every retry it has left.
   */
  #defer(batch: Batch, waitMs: number, why: string): Promise<void> {
    const tiers = this.#topics.retries;
    const tier = this.#deferralTier(waitMs, batch.sourceTier ?? -1);
    this.metrics.deferred.inc({ reason: why === 'circuit open' ? 'circuit_open' : 'endpoint_backlog' });
    return this.#handOff(batch.items, () => this.#publishRetry(batch, tier, tiers[tier]!.delayMs, batch.lastError ?? why, batch.tier));
  }

  async #publishRetry(batch: Batch, tier: number, delayMs: number, error: string, recordTier = tier): Promise<void> {
    const topic = this.#topics.retries[tier]!.name;
    const value = encodeDeliveryRecord(recordOf(batch, recordTier, Date.now() + delayMs, error), batch.items);
    await this.#sender.send({ topic, key: batch.app.id, value, owned: true, headers: { 'hookstream-delivery-id': batch.deliveryId } });
  }

  async #publishDeadLetter(value: Buffer, record: DeliveryHead, reason: string, error: string, origin: Origin): Promise<void> {
    await this.#sender.send({
      topic: this.#topics.dlq,
      key: record.app_id,
      value,
      owned: true,
      headers: dlqHeaders('delivery', origin, reason, error, record.attempt, { appId: record.app_id, webhookId: record.webhook_id }),
    });
    this.metrics.deadLettered.inc({ reason });
  }

  /** A record that cannot become deliveries: its original bytes go to the dead-letter topic. */
  #deadLetterRaw(tracker: PartitionOffsets, message: KafkaMessage, reason: string, error: string): void {
    const entry = tracker.take(Number(message.offset), 1);
    this.#inFlight++;
    const item: Held = { source: { tracker, entry } };
    const origin = { topic: tracker.topic, partition: tracker.partition, offset: message.offset };
    if (reason !== 'unknown_app') this.#log.warn({ ...origin, reason, error }, `${reason === 'undecodable' ? 'undecodable record' : 'event that breaks the event field table'} dead-lettered`);
    // Copies, not slices of the fetch response, for as long as the hand-off may wait.
    const key = message.key ? copyOf(message.key) : Buffer.alloc(0);
    const value = message.value ? copyOf(message.value) : Buffer.alloc(0);
    void this.#handOff([item], async () => {
      await this.#sender.send({
        topic: this.#topics.dlq,
        key,
        value,
        headers: dlqHeaders('event', origin, reason, error, 0, {}),
      });
      this.metrics.deadLettered.inc({ reason });
    });
  }

  /**
   * Runs a Kafka hand-off until the broker acknowledges it, then releases the items. A
   * failed send is tried again (the offsets stay held meanwhile); only shutdown gives up,
   * leaving the records uncommitted for the next owner.
   */
  #handOff(items: readonly Held[], publish: () => Promise<void>): Promise<void> {
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await publish();
          for (const item of items) this.#release(item);
          return;
        } catch (err) {
          if (this.#closing) return;
          const wait = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
          // Tried again, never given up: the events stay unfinished and their offsets held
          // (nothing is lost). A refusal that will not pass (a record over the topic's
          // max.message.bytes) needs an operator; the metric is what to alert on.
          const reason = kafkaErrorType(err) ?? 'other';
          this.metrics.handoffErrors.inc({ reason });
          this.#log.error({ err: errorMessage(err), reason, wait_ms: wait }, 'hand-off to Kafka failed; trying again');
          // close() cuts the wait short: a shutdown must not sit out a 30 s backoff.
          const woken = await sleep(wait, undefined, { signal: this.#shutdown.signal }).then(
            () => false,
            () => true,
          );
          if (woken) return;
        }
      }
    })();
    this.#handoffs.add(run);
    void run.finally(() => this.#handoffs.delete(run));
    return run;
  }

  #release(item: Held): void {
    const source = item.source;
    if (!source) return;
    source.tracker.release(source.entry);
    if (source.entry.pending === 0) {
      this.#inFlight -= source.events ?? 1;
      this.metrics.inFlight.set(this.#inFlight);
      if (this.#inFlight <= this.#config.delivery.max_in_flight_events * RESUME_RATIO && !this.#closing) {
        this.#events.resume();
        this.#tiers?.resume();
      }
    }
  }

  #fatal(err: Error): void {
    this.#log.fatal({ err: errorMessage(err) }, 'kafka consumer failed for good; shutting down');
    process.exitCode = 1;
    void this.close();
  }

  // ---- shutdown ----------------------------------------------------------------------

  /**
   * Graceful stop: no more fetching, open windows flushed, running deliveries and hand-offs
   * given `shutdown_grace_ms` to finish, finished offsets committed, connections closed.
   * Whatever did not finish stays uncommitted and is delivered again by the next owner.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#log.info('shutting down: no more fetching, flushing windows');
    this.#shutdown.abort();
    this.#events.pause();
    this.#tiers?.pause();
    for (const queue of this.#queues.values()) queue.flush();
    const idle = (async () => {
      await Promise.all([...this.#queues.values()].map((q) => q.whenIdle()));
      // Deferrals (open circuit, endpoint backlog) are hand-offs started without holding a
      // queue slot, some of them by the flush above: wait until none is left.
      while (this.#handoffs.size > 0) await Promise.all([...this.#handoffs]);
    })();
    const grace = this.#config.delivery.shutdown_grace_ms;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      idle.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), grace);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.#log.warn({ in_flight_events: this.#inFlight, grace_ms: grace }, 'grace period over; unfinished events stay uncommitted and will be delivered again');
      // Queued batches are abandoned (left uncommitted), and requests still running would
      // hold close() for up to request_timeout_ms: abort them.
      for (const queue of this.#queues.values()) queue.drain();
      await this.#deliverer.destroy?.();
    }
    for (const queue of this.#queues.values()) queue.dispose();
    await Promise.allSettled([this.#events.stop(), this.#tiers?.stop()]);
    await Promise.allSettled([this.#sender.close(), this.#deliverer.close(), this.#health?.close()]);
    this.#log.info('hookstream stopped');
  }
}

/**
 * How long to hold back a congested endpoint's overflow: as long as it has been stuck so far
 * (no delivery slot freed), but no longer than until its longest-running request reaches
 * its timeout, when a slot frees up for sure. A hiccup of half a second sends overflow to
 * the shortest tier; an endpoint that hangs for seconds has its later overflow go straight
 * to a tier long enough that it is not read back, and moved on, every second.
 */
function stallWaitMs(queue: WebhookQueue, webhook: WebhookConfig): number {
  const now = Date.now();
  const since = queue.oldestRunningSince;
  if (since === undefined) return 0;
  return Math.max(0, Math.min(now - queue.lastStartAt, since + webhook.request_timeout_ms - now));
}

/** A copy of a small buffer, from Node's pool (a little cheaper than `Buffer.from(buf)`). */
function copyOf(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  buf.copy(out);
  return out;
}

/** Anything that holds a Kafka record until it is finished. */
type Held = Pick<BatchItem, 'source'>;

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

interface Origin {
  topic: string;
  partition: number;
  offset: string;
}

function originOf(batch: Batch): Origin {
  const source = batch.items[0]?.source;
  return source
    ? { topic: source.tracker.topic, partition: source.tracker.partition, offset: String(source.entry.offset) }
    : { topic: '', partition: -1, offset: '-1' };
}

/** A batch's delivery record without its events (encodeDeliveryRecord adds them from the items). */
function recordOf(batch: Batch, tier: number, notBeforeMs: number, error: string): Omit<WebhookDeliveryRecord, 'events'> {
  return {
    delivery_id: batch.deliveryId,
    app_id: batch.app.id,
    webhook_id: batch.webhook.id,
    attempt: batch.attempts,
    tier,
    not_before_ms: notBeforeMs,
    first_failure_ms: batch.firstFailureMs ?? Date.now(),
    last_error: error,
    replay: batch.replay ?? false,
  };
}

function dlqHeaders(kind: 'delivery' | 'event', origin: Origin, reason: string, error: string, attempts: number, ids: { appId?: string; webhookId?: string }): IHeaders {
  const h: IHeaders = {
    [DLQ_HEADERS.kind]: kind,
    [DLQ_HEADERS.originalTopic]: origin.topic,
    [DLQ_HEADERS.originalPartition]: String(origin.partition),
    [DLQ_HEADERS.originalOffset]: origin.offset,
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.error]: error.slice(0, 1000),
    [DLQ_HEADERS.attempts]: String(attempts),
    [DLQ_HEADERS.failedAt]: new Date().toISOString(),
  };
  if (ids.appId) h[DLQ_HEADERS.appId] = ids.appId;
  if (ids.webhookId) h[DLQ_HEADERS.webhookId] = ids.webhookId;
  return h;
}

/**
 * A metrics port that cannot be bound, said with the settings that decide it: Node's
 * "listen EADDRINUSE: address already in use 127.0.0.1:9601" names neither.
 */
function metricsListenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return err;
  const what = code === 'EADDRINUSE' ? `metrics.port ${port}: ${host}:${port} is already in use (another hookstream instance?)` : `metrics.host ${host}, metrics.port ${port}: ${errorMessage(err)}`;
  return new HookstreamError('HS_PRECONDITION', `${what}; set metrics.port to a free port, or metrics.enabled to false`, { cause: err });
}

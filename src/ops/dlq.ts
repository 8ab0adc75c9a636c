/**
 * The dead-letter tools behind `hookstream dlq list` and `hookstream dlq requeue`.
 *
 * The dead-letter topic is append-only; what is "still dead" is the part of it after the
 * requeue cursor, the committed offsets of the consumer group `<group_id>.dlq-requeue`.
 * A requeue run reads from the cursor to the end offsets it saw at its start and, per entry:
 *
 * - requeue: a delivery record (kind `delivery`) goes to the first retry tier with its
 *   attempt count reset, where the running service's tier consumer delivers it;
 * - republish: a raw events-topic record (kind `event`, e.g. `unknown_app`) goes back to the
 *   events topic as its original bytes, to be routed by the current config;
 * - skip: a record that cannot be decoded, or an event that breaks the contract's field
 *   table (`invalid_event`), can never be requeued; it is reported and left behind the cursor (still in the topic until retention, `dlq list --all` shows it);
 * - keep: an entry the run did not select (`--app`, `--reason`, `--since`), or whose app or
 *   webhook is not in the current config (requeueing it would only dead-letter it again),
 *   is appended to the dead-letter topic again, unchanged, so the cursor can pass it
 *   without losing it for a later run with another selection.
 *
 * The cursor only ever moves past an entry once its hand-off has been acknowledged by the
 * broker (acks=all), so a second run never requeues an entry twice, and a crashed run
 * requeues at most the entries in flight at the crash once more (at-least-once, like every
 * other hand-off in hookstream; receivers de-duplicate on the event id).
 *
 * The parts that decide (entry parsing, selection, the action per entry, formatting) are
 * pure functions; `listDlq` and `requeueDlq` do the Kafka I/O.
 */
import type { Admin, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { HookstreamConfig } from '../config/types.js';
import { consumeRanges, readRange, type PartitionRange, type ReadOptions } from './read-range.js';
import { decodeEvent } from '../contract/index.js';
import { eventRuleViolation } from '../contract/event-rules.js';
import type { WebhookEvent } from '../contract/types.js';
import { HookstreamError, errorMessage } from '../errors.js';
import { AckedSender } from '../kafka/acked-sender.js';
import { allTopics, requireTopics, topicNames } from '../kafka/topics.js';
import { PartitionOffsets } from '../pipeline/consume/offset-tracker.js';
import { redact, webhookSecrets } from '../pipeline/deliver/failure-text.js';
import { DLQ_HEADERS, decodeDeliveryRecord, deliveryCodec, type WebhookDeliveryRecord } from '../pipeline/retry/delivery-record.js';

/** The requeue cursor's consumer group: `<kafka.group_id>.dlq-requeue`. */
export function requeueGroupId(config: Pick<HookstreamConfig, 'kafka'>): string {
  return `${config.kafka.group_id}.dlq-requeue`;
}

// ---- entries -------------------------------------------------------------------------

/** One record of the dead-letter topic, as hookstream's DLQ headers and value describe it. */
export interface DlqEntry {
  partition: number;
  offset: string;
  /** The record's Kafka timestamp (when it was dead-lettered, or last kept by a requeue run). */
  timestampMs: number;
  /** `delivery`: the value is a WebhookDelivery; `event`: the original record's bytes. */
  kind: 'delivery' | 'event';
  reason: string;
  /** The failure text (secret-free when written; `dlqRow` redacts again for display). */
  error: string;
  attempts: number;
  /** From the failed-at header; the Kafka timestamp when absent. */
  failedAtMs: number;
  /** Where the record was when it failed: the events topic or a retry tier. */
  original: { topic: string; partition: number; offset: string };
  /** App and webhook: from the headers, else from the decoded value. */
  appId?: string;
  webhookId?: string;
  /** The decoded value: a delivery record (kind `delivery`) or an event (kind `event`). */
  record?: WebhookDeliveryRecord;
  event?: WebhookEvent;
  /** Why the value did not decode; set exactly when neither `record` nor `event` is. */
  decodeError?: string;
  /** The record as read, for handing it on unchanged. */
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** A header's value as text (kafkajs gives Buffers; a repeated header counts by its first value). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function intOr(text: string | undefined, fallback: number): number {
  const n = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(n) ? n : fallback;
}

/**
 * Reads one dead-letter record. Never throws: a record whose value does not decode is an
 * entry with `decodeError` (the `undecodable` ones are exactly that), and missing headers
 * fall back to what the value or the Kafka record says.
 */
export function parseDlqEntry(partition: number, message: Pick<KafkaMessage, 'offset' | 'timestamp' | 'key' | 'value' | 'headers'>): DlqEntry {
  const headers = message.headers ?? {};
  const h = (name: string): string | undefined => headerText(headers, name);
  const timestampMs = intOr(message.timestamp, 0);
  const failedAt = Date.parse(h(DLQ_HEADERS.failedAt) ?? '');
  const kind = h(DLQ_HEADERS.kind) === 'event' ? 'event' : 'delivery';
  const entry: DlqEntry = {
    partition,
    offset: message.offset,
    timestampMs,
    kind,
    reason: h(DLQ_HEADERS.reason) ?? 'unknown',
    error: h(DLQ_HEADERS.error) ?? '',
    attempts: intOr(h(DLQ_HEADERS.attempts), 0),
    failedAtMs: Number.isNaN(failedAt) ? timestampMs : failedAt,
    original: {
      topic: h(DLQ_HEADERS.originalTopic) ?? '',
      partition: intOr(h(DLQ_HEADERS.originalPartition), -1),
      offset: h(DLQ_HEADERS.originalOffset) ?? '-1',
    },
    key: message.key,
    value: message.value,
    headers,
  };
  const appId = h(DLQ_HEADERS.appId);
  const webhookId = h(DLQ_HEADERS.webhookId);
  if (appId !== undefined) entry.appId = appId;
  if (webhookId !== undefined) entry.webhookId = webhookId;
  try {
    if (!message.value || message.value.length === 0) throw new Error('record has no value');
    if (kind === 'delivery') {
      entry.record = decodeDeliveryRecord(message.value);
      entry.appId ??= entry.record.app_id;
      entry.webhookId ??= entry.record.webhook_id;
    } else {
      entry.event = decodeEvent(message.value);
      entry.appId ??= entry.event.app_id;
    }
  } catch (err) {
    entry.decodeError = errorMessage(err);
  }
  return entry;
}

/** Events the entry holds: a delivery record's batch, one for an event record, 0 when undecodable. */
export function eventCount(entry: DlqEntry): number {
  if (entry.record) return entry.record.events.length;
  return entry.event ? 1 : 0;
}

/** The earliest `time_ms` among the entry's events. */
export function firstEventMs(entry: DlqEntry): number | undefined {
  if (entry.record && entry.record.events.length > 0) return Math.min(...entry.record.events.map((e) => e.time_ms));
  return entry.event?.time_ms;
}

// ---- selection and the action per entry ------------------------------------------------

/** Which entries a command works on; every field that is set must match. */
export interface DlqSelection {
  appId?: string;
  reason?: string;
  /** Failed at or after this time (ms since the epoch). */
  sinceMs?: number;
}

export function isSelected(entry: DlqEntry, selection: DlqSelection): boolean {
  if (selection.appId !== undefined && entry.appId !== selection.appId) return false;
  if (selection.reason !== undefined && entry.reason !== selection.reason) return false;
  if (selection.sinceMs !== undefined && entry.failedAtMs < selection.sinceMs) return false;
  return true;
}

export type RequeueAction =
  | { action: 'requeue'; record: WebhookDeliveryRecord }
  | { action: 'republish'; event: WebhookEvent }
  | { action: 'skip'; why: 'undecodable' | 'invalid_event' }
  | { action: 'keep'; why: 'not_selected' | 'not_in_config' };

/**
 * What a requeue run does with one entry (see the module comment). `apps` is the current
 * config's: a webhook that is gone would only be dead-lettered again as `webhook_removed`.
 */
export function planEntry(entry: DlqEntry, selection: DlqSelection, apps: HookstreamConfig['apps']): RequeueAction {
  if (!isSelected(entry, selection)) return { action: 'keep', why: 'not_selected' };
  if (entry.record) {
    const { app_id, webhook_id } = entry.record;
    const app = apps.find((a) => a.id === app_id);
    if (!app || !app.webhooks.some((w) => w.id === webhook_id)) return { action: 'keep', why: 'not_in_config' };
    return { action: 'requeue', record: entry.record };
  }
  if (entry.event) {
    // An `undecodable` record that decodes now (a newer release knows its schema) is routable.
    if (!apps.some((a) => a.id === entry.event!.app_id)) return { action: 'keep', why: 'not_in_config' };
    // Re-published, an event that breaks the contract's field table would only be
    // dead-lettered again (invalid_event): it needs its producer fixed, not a requeue.
    if (eventRuleViolation(entry.event)) return { action: 'skip', why: 'invalid_event' };
    return { action: 'republish', event: entry.event };
  }
  return { action: 'skip', why: 'undecodable' };
}

/**
 * The record a requeued entry becomes on the first retry tier: due now, attempts counted
 * from 0 again (the next request says `X-Hookstream-Attempt: 1`), same delivery id and
 * events. Its retry progress is reset too (tier -1: no attempt has failed yet), so it gets
 * the whole retry schedule again, like a fresh batch.
 */
export function requeuedRecord(record: WebhookDeliveryRecord, nowMs: number): WebhookDeliveryRecord {
  return { ...record, attempt: 0, tier: -1, not_before_ms: nowMs };
}

// ---- formatting ----------------------------------------------------------------------

/** Values that must never be printed: app secrets, webhook header values, URL credentials. */
export function secretsOf(config: Pick<HookstreamConfig, 'apps'>): string[] {
  const out: string[] = [];
  for (const app of config.apps) {
    out.push(app.secret);
    for (const webhook of app.webhooks) out.push(...webhookSecrets(app, webhook));
  }
  return out;
}

/** One entry as `dlq list` shows it. Times are ISO strings; absent values are null. */
export interface DlqRow {
  partition: number;
  offset: string;
  kind: 'delivery' | 'event';
  app_id: string | null;
  webhook_id: string | null;
  reason: string;
  attempts: number;
  events: number;
  first_event_time: string | null;
  failed_at: string;
  last_error: string;
  original: { topic: string; partition: number; offset: string };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** A display row; the error text is redacted against `secrets` once more (older writers). */
export function dlqRow(entry: DlqEntry, secrets: readonly string[]): DlqRow {
  const error = entry.error !== '' ? entry.error : (entry.record?.last_error ?? entry.decodeError ?? '');
  return {
    partition: entry.partition,
    offset: entry.offset,
    kind: entry.kind,
    app_id: entry.appId ?? null,
    webhook_id: entry.webhookId ?? null,
    reason: entry.reason,
    attempts: entry.attempts,
    events: eventCount(entry),
    first_event_time: iso(firstEventMs(entry)),
    failed_at: iso(entry.failedAtMs) ?? '',
    last_error: redact(error, secrets),
    original: entry.original,
  };
}

/** Oldest failure first; ties in partition and offset order, so output is stable. */
export function compareRows(a: DlqRow, b: DlqRow): number {
  return a.failed_at.localeCompare(b.failed_at) || a.partition - b.partition || Number(a.offset) - Number(b.offset);
}

/** Longest error shown in the table; `--json` has the whole text. */
export const TABLE_ERROR_CHARS = 80;

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** An aligned text table of rows, one line each, with a header line. */
export function formatTable(rows: readonly DlqRow[]): string {
  const header = ['ENTRY', 'FAILED AT', 'APP', 'WEBHOOK', 'REASON', 'ATTEMPTS', 'EVENTS', 'FIRST EVENT', 'LAST ERROR'];
  const cells = rows.map((r) => [
    `${r.partition}/${r.offset}`,
    r.failed_at.replace(/\.\d{3}Z$/, 'Z'),
    r.app_id ?? '-',
    r.webhook_id ?? '-',
    r.reason,
    String(r.attempts),
    String(r.events),
    r.first_event_time?.replace(/\.\d{3}Z$/, 'Z') ?? '-',
    oneLine(r.last_error, TABLE_ERROR_CHARS) || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  // The last column is not padded: no trailing blanks.
  const line = (c: readonly string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

/** `retries_exhausted 3, undecodable 1000`, most frequent first. */
export function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ');
}

// ---- Kafka: where to read ----------------------------------------------------------------


/**
 * Per partition of the dead-letter topic, from the requeue cursor (or the earliest offset,
 * for `from: 'earliest'` or a partition the cursor has never committed) to the end now.
 * A cursor below the earliest offset (retention deleted entries) starts at the earliest.
 */
export async function dlqRanges(admin: Admin, config: Pick<HookstreamConfig, 'kafka' | 'retry'>, from: 'cursor' | 'earliest'): Promise<PartitionRange[]> {
  const topic = topicNames(config).dlq;
  const offsets = await admin.fetchTopicOffsets(topic);
  const cursor = new Map<number, number>();
  if (from === 'cursor') {
    const committed = await admin.fetchOffsets({ groupId: requeueGroupId(config), topics: [topic] });
    for (const p of committed[0]?.partitions ?? []) cursor.set(p.partition, Number(p.offset));
  }
  return offsets
    .map((o) => {
      const low = Number(o.low);
      const at = cursor.get(o.partition) ?? -1;
      return { partition: o.partition, start: Math.max(low, at), end: Number(o.high) };
    })
    .sort((a, b) => a.partition - b.partition);
}

export function rangeTotal(ranges: readonly PartitionRange[]): number {
  return ranges.reduce((n, r) => n + Math.max(0, r.end - r.start), 0);
}


/**
 * Reads the ranges in a throwaway consumer group that never commits (and is deleted after),
 * so neither the service's groups nor the requeue cursor move.
 */
export async function readDlq(
  kafka: Kafka,
  admin: Admin,
  config: Pick<HookstreamConfig, 'kafka' | 'retry'>,
  ranges: readonly PartitionRange[],
  onEntry: (entry: DlqEntry) => void,
  options: ReadOptions = {},
): Promise<void> {
  await readRange(kafka, admin, topicNames(config).dlq, ranges, (partition, message) => onEntry(parseDlqEntry(partition, message)), {
    ...options,
    groupPrefix: `${config.kafka.group_id}.dlq`,
  });
}

// ---- list ------------------------------------------------------------------------------

export interface ListOptions {
  selection: DlqSelection;
  /** Rows to return at most, oldest failures first; 0 for all. */
  limit: number;
  from: 'cursor' | 'earliest';
  signal?: AbortSignal;
}

export interface ListResult {
  topic: string;
  from: 'cursor' | 'earliest';
  /** Records read (selected or not). */
  read: number;
  /** Selected entries (all of them, also beyond the limit). */
  total: number;
  /** Selected entries per reason. */
  byReason: Map<string, number>;
  /** The oldest `limit` selected entries. */
  rows: DlqRow[];
}

/** Reads the dead-letter topic without committing anything and returns the selected entries. */
export async function listDlq(kafka: Kafka, admin: Admin, config: HookstreamConfig, options: ListOptions): Promise<ListResult> {
  await requireTopics(admin, [topicNames(config).dlq]);
  const ranges = await dlqRanges(admin, config, options.from);
  const secrets = secretsOf(config);
  const result: ListResult = { topic: topicNames(config).dlq, from: options.from, read: 0, total: 0, byReason: new Map(), rows: [] };
  let rows: DlqRow[] = [];
  const keep = (): void => {
    rows.sort(compareRows);
    if (options.limit > 0) rows = rows.slice(0, options.limit);
  };
  await readDlq(
    kafka,
    admin,
    config,
    ranges,
    (entry) => {
      result.read++;
      if (!isSelected(entry, options.selection)) return;
      result.total++;
      result.byReason.set(entry.reason, (result.byReason.get(entry.reason) ?? 0) + 1);
      rows.push(dlqRow(entry, secrets));
      // Only the oldest `limit` are kept: memory stays bounded on a big topic.
      if (options.limit > 0 && rows.length >= options.limit * 2 + 1000) keep();
    },
    options.signal ? { signal: options.signal } : {},
  );
  keep();
  result.rows = rows;
  return result;
}

// ---- requeue ---------------------------------------------------------------------------

export interface RequeueSummary {
  /** Records of the dead-letter topic read (from the cursor to the end at the start). */
  read: number;
  /** Delivery records put on the first retry tier, and the events they hold. */
  requeued: number;
  requeuedEvents: number;
  /** Raw event records put back on the events topic. */
  republished: number;
  /** Undecodable records passed over (they cannot be requeued). */
  skippedUndecodable: number;
  /** Events that break the contract's field table, passed over (requeued, they would fail again). */
  skippedInvalid: number;
  /** Entries appended to the dead-letter topic again: not selected, or not in the config. */
  keptNotSelected: number;
  keptNotInConfig: number;
  /** Selected entries per reason. */
  byReason: Map<string, number>;
  /** The run stopped early (signal): the cursor is where the acknowledged work ended. */
  interrupted: boolean;
}

export interface RequeueOptions {
  selection: DlqSelection;
  /** False: only read (from the cursor, without committing) and count what would happen. */
  execute: boolean;
  /** Called once with the number of records the run will read. */
  onStart?: (total: number) => void;
  /** Called once per record finished (handed off and acknowledged, or passed over). */
  onProgress?: () => void;
  signal?: AbortSignal;
  /** @defaultValue Date.now */
  now?: () => number;
}

function emptySummary(): RequeueSummary {
  return { read: 0, requeued: 0, requeuedEvents: 0, republished: 0, skippedUndecodable: 0, skippedInvalid: 0, keptNotSelected: 0, keptNotInConfig: 0, byReason: new Map(), interrupted: false };
}

function count(summary: RequeueSummary, entry: DlqEntry, action: RequeueAction): void {
  summary.read++;
  if (!(action.action === 'keep' && action.why === 'not_selected')) {
    summary.byReason.set(entry.reason, (summary.byReason.get(entry.reason) ?? 0) + 1);
  }
  switch (action.action) {
    case 'requeue':
      summary.requeued++;
      summary.requeuedEvents += action.record.events.length;
      break;
    case 'republish':
      summary.republished++;
      break;
    case 'skip':
      if (action.why === 'undecodable') summary.skippedUndecodable++;
      else summary.skippedInvalid++;
      break;
    case 'keep':
      if (action.why === 'not_selected') summary.keptNotSelected++;
      else summary.keptNotInConfig++;
      break;
  }
}

/**
 * Every reason hookstream writes to the dead-letter topic: its own, the kind of a permanent
 * failure, or the HTTP status of one. `dlq requeue --reason` is checked against it, because
 * a misspelt reason selects nothing and the run would append every entry again.
 */
export const DLQ_REASON = /^(?:retries_exhausted|undecodable|invalid_event|unknown_app|webhook_removed|invalid_target|network|timeout|function_error|lambda_error|payload_too_large|http_unknown|(?:http|redirect)_\d{3})$/;

/** Header naming the dead-letter record a requeued or re-published record came from. */
export const REQUEUED_FROM_HEADER = 'hookstream-requeued-from';

/**
 * `dlq requeue`. With `execute: false` it reads from the cursor in a throwaway group and
 * counts. With `execute: true` it consumes as the cursor group itself: each entry's
 * hand-off is acknowledged before the cursor may pass it; commits follow every
 * acknowledgement (one commit in flight at a time, each taking every finished offset).
 */
export async function requeueDlq(kafka: Kafka, admin: Admin, config: HookstreamConfig, options: RequeueOptions): Promise<RequeueSummary> {
  const names = topicNames(config);
  const now = options.now ?? Date.now;
  const summary = emptySummary();
  const firstTier = names.retries[0]?.name;
  const groupId = requeueGroupId(config);
  // Entries go to the first retry tier, the events topic, or back to the dead-letter topic:
  // a dry run already says when one of them is missing.
  await requireTopics(admin, allTopics(names));

  if (!options.execute) {
    const ranges = await dlqRanges(admin, config, 'cursor');
    options.onStart?.(rangeTotal(ranges));
    await readDlq(kafka, admin, config, ranges, (entry) => {
      count(summary, entry, planEntry(entry, options.selection, config.apps));
      options.onProgress?.();
    }, options.signal ? { signal: options.signal } : {});
    summary.interrupted = options.signal?.aborted === true;
    return summary;
  }

  // Two runs at once would split the partitions between them and each wait for the other's.
  const [described] = (await admin.describeGroups([groupId])).groups;
  if (described && described.members.length > 0) {
    throw new HookstreamError(
      'HS_PRECONDITION',
      `another "dlq requeue --execute" is running (consumer group ${groupId} has ${described.members.length} member(s); a run that was killed stays a member until its session times out, 30 s); run one at a time`,
    );
  }
  const ranges = await dlqRanges(admin, config, 'cursor');
  const total = rangeTotal(ranges);
  options.onStart?.(total);
  if (total === 0) return summary;

  const sender = new AckedSender(kafka, { compression: config.kafka.handoff_compression });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false, sessionTimeout: 30_000 });
  const trackers = new Map<number, PartitionOffsets>();
  let committing: Promise<void> | undefined;
  let again = false;
  let commitError: unknown;

  // Commits every partition's finished prefix. Called after each acknowledgement; while a
  // commit runs, later calls fold into one more commit after it.
  const commit = (): Promise<void> => {
    if (committing) {
      again = true;
      return committing;
    }
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const points: [PartitionOffsets, number][] = [];
    for (const tracker of trackers.values()) {
      const point = tracker.committable();
      if (point === null) continue;
      offsets.push({ topic: names.dlq, partition: tracker.partition, offset: String(point) });
      points.push([tracker, point]);
    }
    if (offsets.length === 0) return Promise.resolve();
    committing = consumer
      .commitOffsets(offsets)
      .then(
        () => {
          for (const [tracker, point] of points) tracker.markCommitted(point);
        },
        (err: unknown) => {
          commitError = err;
        },
      )
      .finally(() => {
        committing = undefined;
        if (again) {
          again = false;
          void commit();
        }
      });
    return committing;
  };
  // Until no commit runs and nothing is left to commit (a commit may queue one more).
  const settle = async (): Promise<void> => {
    while (committing) await committing;
    await commit();
    while (committing) await committing;
  };

  const handOff = (entry: DlqEntry, action: RequeueAction): Promise<void> | undefined => {
    const from = `${names.dlq}/${entry.partition}/${entry.offset}`;
    switch (action.action) {
      case 'requeue':
        if (!firstTier) throw new HookstreamError('HS_PRECONDITION', 'retry.delays_ms is empty: there is no retry tier to requeue to');
        return sender.send({
          topic: firstTier,
          key: action.record.app_id,
          value: deliveryCodec().encode(requeuedRecord(action.record, now())),
          headers: { 'hookstream-delivery-id': action.record.delivery_id, [REQUEUED_FROM_HEADER]: from },
        });
      case 'republish':
        // Keyed by app id, as the contract keys events: the dead-lettered copy may have had an
        // empty key (the original had none), which would pick a partition other than the app's.
        return sender.send({ topic: names.events, key: action.event.app_id, value: entry.value!, headers: { [REQUEUED_FROM_HEADER]: from } });
      case 'keep':
        // Unchanged, headers included, so `dlq list` shows it as before.
        return sender.send({ topic: names.dlq, key: entry.key ?? Buffer.alloc(0), value: entry.value ?? Buffer.alloc(0), headers: entry.headers });
      case 'skip':
        return undefined;
    }
  };

  try {
    await sender.connect();
    const partitions = ranges.filter((r) => r.end > r.start).map((r) => r.partition);
    await consumeRanges(
      consumer,
      names.dlq,
      ranges,
      {
        autoSeek: false,
        ...(options.signal ? { signal: options.signal } : {}),
        onJoin: (assigned) => {
          const missing = partitions.filter((p) => !assigned.includes(p));
          if (missing.length > 0) {
            throw new HookstreamError('HS_PRECONDITION', `another "dlq requeue --execute" took partitions ${missing.join(', ')} of ${names.dlq} (group ${groupId}); run one at a time`);
          }
        },
      },
      async (partition, messages, progress) => {
        const first = messages[0];
        if (!first) return;
        let tracker = trackers.get(partition);
        if (!tracker) {
          tracker = new PartitionOffsets(names.dlq, partition, Number(first.offset));
          trackers.set(partition, tracker);
        }
        const acks: Promise<void>[] = [];
        for (const message of messages) {
          if (options.signal?.aborted) break;
          if (Number(message.offset) < tracker.nextOffset) continue;
          const entry = parseDlqEntry(partition, message);
          const action = planEntry(entry, options.selection, config.apps);
          count(summary, entry, action);
          const sent = handOff(entry, action);
          const held = tracker.take(Number(message.offset), sent ? 1 : 0);
          if (!sent) {
            options.onProgress?.();
            continue;
          }
          const t = tracker;
          acks.push(
            sent.then(() => {
              t.release(held);
              progress();
              options.onProgress?.();
              void commit();
            }),
          );
        }
        // Bounded by one fetch: the next batch of this partition waits for these acks.
        await Promise.all(acks);
        await settle();
        if (commitError !== undefined) throw commitError;
      },
    );
    // Each batch settled its commits before the consumer left the group (kafkajs waits for a
    // running batch on disconnect), so the cursor is at the end, or where an abort stopped it.
    if (commitError !== undefined) throw new Error(`could not commit the requeue cursor: ${errorMessage(commitError)}`, { cause: commitError });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await sender.close();
  }
  summary.interrupted = options.signal?.aborted === true;
  return summary;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IHeaders } from 'kafkajs';
import { parseConfig } from '../../../src/config/index.js';
import { encodeEvent } from '../../../src/contract/index.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import {
  TABLE_ERROR_CHARS,
  compareRows,
  dlqRow,
  formatCounts,
  formatTable,
  isSelected,
  parseDlqEntry,
  planEntry,
  requeueGroupId,
  requeuedRecord,
  secretsOf,
  type DlqEntry,
} from '../../../src/ops/dlq.js';
import { DLQ_HEADERS, deliveryCodec, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';

const config = parseConfig({
  app_manager: {
    driver: 'memory',
    array: {
      apps: [
        {
          id: 'app1',
          key: 'k1',
          secret: 'app-secret-1',
          webhooks: [
            { id: 'hook-a', url: 'https://user:url-password@example.com/a', event_types: ['channel_occupied'], headers: { Authorization: 'Bearer token-value' } },
            { id: 'hook-b', url: 'https://example.com/b', event_types: ['channel_occupied'] },
          ],
        },
      ],
    },
  },
  kafka: { group_id: 'hooks', topic: 'hooks.events' },
});

function event(fields: Partial<WebhookEvent> = {}): WebhookEvent {
  return { id: 'e1', app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: 1_700_000_000_000, node_id: null, ...fields };
}

function record(fields: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord {
  return {
    delivery_id: 'd-1', app_id: 'app1', webhook_id: 'hook-a', attempt: 6, tier: 4, not_before_ms: 1_700_000_100_000,
    events: [event({ id: 'e1', time_ms: 1_700_000_000_500 }), event({ id: 'e2', time_ms: 1_700_000_000_000 })],
    first_failure_ms: 1_700_000_000_900, last_error: 'http_status 500: boom', replay: false, ...fields,
  };
}

function headers(fields: Partial<Record<keyof typeof DLQ_HEADERS, string>>): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(fields)) out[DLQ_HEADERS[k as keyof typeof DLQ_HEADERS]] = Buffer.from(v);
  return out;
}

const FAILED_AT = '2026-01-02T03:04:05.678Z';

function deliveryEntry(rec: WebhookDeliveryRecord = record(), extra: Partial<Record<keyof typeof DLQ_HEADERS, string>> = {}): DlqEntry {
  return parseDlqEntry(3, {
    offset: '42',
    timestamp: '1700000200000',
    key: Buffer.from(rec.app_id),
    value: deliveryCodec().encode(rec),
    headers: headers({
      kind: 'delivery', reason: 'retries_exhausted', error: 'http_status 500: boom', attempts: '6', failedAt: FAILED_AT,
      originalTopic: 'hooks.events.retry.16s', originalPartition: '1', originalOffset: '7', appId: rec.app_id, webhookId: rec.webhook_id, ...extra,
    }),
  });
}

function eventEntry(value: Buffer, reason: string): DlqEntry {
  return parseDlqEntry(0, {
    offset: '5',
    timestamp: '1700000200000',
    key: Buffer.from('k'),
    value,
    headers: headers({ kind: 'event', reason, error: `${reason}: x`, attempts: '0', failedAt: FAILED_AT, originalTopic: 'hooks.events', originalPartition: '2', originalOffset: '99' }),
  });
}

test('the requeue cursor group is named after the service group', () => {
  assert.equal(requeueGroupId(config), 'hooks.dlq-requeue');
});

test('a delivery entry is read from its headers and its decoded value', () => {
  const e = deliveryEntry();
  assert.equal(e.kind, 'delivery');
  assert.equal(e.partition, 3);
  assert.equal(e.offset, '42');
  assert.equal(e.reason, 'retries_exhausted');
  assert.equal(e.attempts, 6);
  assert.equal(e.failedAtMs, Date.parse(FAILED_AT));
  assert.deepEqual(e.original, { topic: 'hooks.events.retry.16s', partition: 1, offset: '7' });
  assert.equal(e.appId, 'app1');
  assert.equal(e.webhookId, 'hook-a');
  assert.deepEqual(e.record, record());
  assert.equal(e.decodeError, undefined);
});

test('an event entry decodes its original bytes; garbage is an entry with a decode error, never a throw', () => {
  const ok = eventEntry(encodeEvent(event({ app_id: 'ghost' })), 'unknown_app');
  assert.equal(ok.kind, 'event');
  assert.equal(ok.appId, 'ghost', 'the app comes from the event when no header names it');
  assert.equal(ok.event?.id, 'e1');
  const bad = eventEntry(Buffer.from('not avro'), 'undecodable');
  assert.equal(bad.event, undefined);
  assert.match(bad.decodeError!, /single object/);
  assert.equal(bad.appId, undefined);
  const empty = parseDlqEntry(0, { offset: '1', timestamp: '5', key: null, value: null, headers: {} });
  assert.equal(empty.reason, 'unknown');
  assert.equal(empty.failedAtMs, 5, 'the Kafka timestamp stands in for a missing failed-at');
  assert.match(empty.decodeError!, /no value/);
});

test('headers may be strings or repeated; the first value counts', () => {
  const e = parseDlqEntry(0, {
    offset: '1', timestamp: '0', key: null, value: null,
    headers: { [DLQ_HEADERS.reason]: ['http_410', 'other'], [DLQ_HEADERS.attempts]: '1', [DLQ_HEADERS.kind]: 'event', [DLQ_HEADERS.attempts + 'x']: 'y' },
  });
  assert.equal(e.reason, 'http_410');
  assert.equal(e.attempts, 1);
  assert.equal(e.kind, 'event');
});

test('selection: app, reason and since must all match', () => {
  const e = deliveryEntry();
  assert.equal(isSelected(e, {}), true);
  assert.equal(isSelected(e, { appId: 'app1' }), true);
  assert.equal(isSelected(e, { appId: 'app2' }), false);
  assert.equal(isSelected(e, { reason: 'retries_exhausted' }), true);
  assert.equal(isSelected(e, { reason: 'http_410' }), false);
  assert.equal(isSelected(e, { sinceMs: Date.parse(FAILED_AT) }), true, 'since is inclusive');
  assert.equal(isSelected(e, { sinceMs: Date.parse(FAILED_AT) + 1 }), false);
  assert.equal(isSelected(e, { appId: 'app1', reason: 'http_410' }), false);
  const garbage = eventEntry(Buffer.from('x'), 'undecodable');
  assert.equal(isSelected(garbage, { appId: 'app1' }), false, 'an undecodable entry has no app');
});

test('the action per entry: requeue, republish, skip undecodable and invalid events, keep what is not selected or not configured', () => {
  assert.deepEqual(planEntry(deliveryEntry(), {}, config.apps), { action: 'requeue', record: record() });
  assert.deepEqual(planEntry(deliveryEntry(), { reason: 'http_410' }, config.apps), { action: 'keep', why: 'not_selected' });
  assert.deepEqual(planEntry(deliveryEntry(record({ webhook_id: 'gone' })), {}, config.apps), { action: 'keep', why: 'not_in_config' });
  assert.deepEqual(planEntry(deliveryEntry(record({ app_id: 'gone' })), {}, config.apps), { action: 'keep', why: 'not_in_config' });

  const routable = eventEntry(encodeEvent(event()), 'unknown_app');
  assert.equal(planEntry(routable, {}, config.apps).action, 'republish');
  assert.deepEqual(planEntry(eventEntry(encodeEvent(event({ app_id: 'ghost' })), 'unknown_app'), {}, config.apps), { action: 'keep', why: 'not_in_config' });
  // An "undecodable" record that decodes today (a newer release knows its schema) is routable.
  assert.equal(planEntry(eventEntry(encodeEvent(event()), 'undecodable'), {}, config.apps).action, 'republish');

  // An event that breaks the field table would only be dead-lettered again.
  const invalid = eventEntry(encodeEvent(event({ data: '{"x":1}' })), 'invalid_event');
  assert.deepEqual(planEntry(invalid, {}, config.apps), { action: 'skip', why: 'invalid_event' });

  const garbage = eventEntry(Buffer.from('x'), 'undecodable');
  assert.deepEqual(planEntry(garbage, {}, config.apps), { action: 'skip', why: 'undecodable' });
  assert.deepEqual(planEntry(garbage, { reason: 'undecodable' }, config.apps), { action: 'skip', why: 'undecodable' });
  assert.deepEqual(planEntry(garbage, { appId: 'app1' }, config.apps), { action: 'keep', why: 'not_selected' });
  const corrupt = parseDlqEntry(0, { offset: '1', timestamp: '0', key: null, value: Buffer.from([0xc3, 0x01, 1, 2]), headers: headers({ kind: 'delivery', reason: 'retries_exhausted' }) });
  assert.deepEqual(planEntry(corrupt, {}, config.apps), { action: 'skip', why: 'undecodable' });
});

test('a requeued record starts over on the first tier, due now, same batch', () => {
  const r = record();
  const out = requeuedRecord(r, 1_800_000_000_000);
  assert.deepEqual(out, { ...r, attempt: 0, tier: -1, not_before_ms: 1_800_000_000_000 });
  assert.equal(r.attempt, 6, 'the input is not changed');
});

test('secrets: app secrets, webhook header values and URL passwords', () => {
  const secrets = secretsOf(config);
  for (const s of ['app-secret-1', 'Bearer token-value', 'url-password']) assert.ok(secrets.includes(s), s);
});

test('a row shows what an operator needs, and never a secret', () => {
  const leaky = 'http_status 401: HTTP 401: echo app-secret-1 and Bearer token-value';
  const row = dlqRow(deliveryEntry(record(), { error: leaky }), secretsOf(config));
  assert.deepEqual(row, {
    partition: 3,
    offset: '42',
    kind: 'delivery',
    app_id: 'app1',
    webhook_id: 'hook-a',
    reason: 'retries_exhausted',
    attempts: 6,
    events: 2,
    first_event_time: new Date(1_700_000_000_000).toISOString(),
    failed_at: FAILED_AT,
    last_error: 'http_status 401: HTTP 401: echo [redacted] and [redacted]',
    original: { topic: 'hooks.events.retry.16s', partition: 1, offset: '7' },
  });
  const garbage = dlqRow(eventEntry(Buffer.from('x'), 'undecodable'), []);
  assert.equal(garbage.app_id, null);
  assert.equal(garbage.events, 0);
  assert.equal(garbage.first_event_time, null);
  // Without an error header the record's own last error, else the decode error, is shown.
  const noHeader = deliveryEntry(record({ last_error: 'from the record' }), { error: '' });
  assert.equal(dlqRow(noHeader, []).last_error, 'from the record');
});

test('rows sort by failure time, then partition and offset', () => {
  const base = dlqRow(deliveryEntry(), []);
  const rows = [
    { ...base, failed_at: '2026-01-02T00:00:00.000Z', partition: 1, offset: '10' },
    { ...base, failed_at: '2026-01-01T00:00:00.000Z', partition: 2, offset: '5' },
    { ...base, failed_at: '2026-01-02T00:00:00.000Z', partition: 1, offset: '9' },
    { ...base, failed_at: '2026-01-02T00:00:00.000Z', partition: 0, offset: '100' },
  ];
  assert.deepEqual(rows.sort(compareRows).map((r) => `${r.partition}/${r.offset}`), ['2/5', '0/100', '1/9', '1/10']);
});

test('the table aligns columns, shortens long errors to one line and has no trailing blanks', () => {
  const long = `first line\nsecond ${'x'.repeat(200)}`;
  const rows = [dlqRow(deliveryEntry(record(), { error: long }), []), dlqRow(eventEntry(Buffer.from('x'), 'undecodable'), [])];
  const lines = formatTable(rows).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^ENTRY +FAILED AT +APP +WEBHOOK +REASON +ATTEMPTS +EVENTS +FIRST EVENT +LAST ERROR$/);
  const col = (name: string): number => lines[0]!.indexOf(name);
  assert.equal(lines[1]!.indexOf('retries_exhausted'), col('REASON'));
  assert.equal(lines[2]!.indexOf('undecodable'), col('REASON'));
  assert.match(lines[1]!, /^3\/42 +2026-01-02T03:04:05Z +app1 +hook-a +retries_exhausted +6 +2 +2023-11-14T22:13:20Z +first line second x+…$/);
  assert.equal(lines[1]!.slice(col('LAST ERROR')).length, TABLE_ERROR_CHARS);
  assert.match(lines[2]!, /^0\/5 +\S+ +- +- +undecodable +0 +0 +- +undecodable: x$/);
  for (const line of lines) assert.equal(line, line.trimEnd());
});

test('counts read most frequent first', () => {
  assert.equal(formatCounts(new Map([['http_410', 2], ['undecodable', 1000], ['retries_exhausted', 2]])), 'undecodable 1000, http_410 2, retries_exhausted 2');
  assert.equal(formatCounts(new Map()), '');
});

test('DLQ_REASON knows every reason the pipeline writes, and refuses misspellings', async () => {
  const { DLQ_REASON } = await import('../../../src/ops/dlq.js');
  const { decideRetry } = await import('../../../src/pipeline/retry/policy.js');
  const kinds = ['http_status', 'network', 'timeout', 'invalid_target', 'function_error', 'lambda_error', 'payload_too_large'] as const;
  const written = new Set<string>(['retries_exhausted', 'undecodable', 'invalid_event', 'unknown_app', 'webhook_removed']);
  for (const kind of kinds) {
    for (const statusCode of [undefined, 301, 400, 410, 500]) {
      // From the last tier every failure dead-letters: permanent ones with their cause.
      const d = decideRetry({ ok: false, kind, message: 'x', durationMs: 1, ...(statusCode === undefined ? {} : { statusCode }) }, 4, [1, 2, 3, 4, 5]);
      if (d.action === 'dead_letter') written.add(d.reason);
    }
  }
  for (const reason of written) assert.match(reason, DLQ_REASON, reason);
  for (const typo of ['retries-exhausted', 'http410', 'http_41', 'Unknown_app', 'undecodeable', '']) assert.doesNotMatch(typo, DLQ_REASON, typo);
});

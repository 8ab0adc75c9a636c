import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDelay } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { metricValue, testConfig, waitUntil } from '../../helpers/service.js';
import { dlq, serviceWithDeadLetters, writeConfigFile } from './support.js';

const DELAYS = [200, 400, 800, 1600, 3200];

test('a receiver that always fails gets 6 attempts, then the batch is dead-lettered; requeue delivers it once fixed, once', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1-secret-value' }, status: 500 });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [
      {
        id: 'app1',
        key: 'k1',
        secret: 's1-secret-value',
        webhooks: [{ id: 'hook-a', url: receiver.url('/hook'), event_types: ['channel_occupied'], headers: { Authorization: 'Bearer header-secret-token' } }],
      },
    ],
    retry: { delays_ms: DELAYS },
    // The circuit opens after 3 failures; its 100 ms cooldown is shorter than every later
    // tier, so each later attempt is a half-open probe that fails and re-opens it.
    delivery: { circuit_breaker: { failures: 3, cooldown_ms: 100 } },
  });
  const { config, names, service, dlqReader, producer } = await serviceWithDeadLetters(t, raw);
  const published = Array.from({ length: 5 }, (_, i) => ({ id: `ev-${i}`, time_ms: Date.now() - 60_000 + i, app_id: 'app1', name: 'channel_occupied', channel: `room-${i}` }));
  const started = Date.now();
  await producer.publishMany(published);

  // Every event ends in a dead-letter record (normally one batch of 5).
  const ids = published.map((e) => e.id).sort();
  const dead = (): string[] =>
    dlqReader.records.flatMap((r) => deliveryCodec().decode(r.message.value!).events.map((e) => e.id)).sort();
  await dlqReader.waitFor(() => dead().length >= ids.length, 40_000, 'every event dead-lettered');
  const elapsed = Date.now() - started;
  t.diagnostic(`dead-lettered ${elapsed} ms after publishing; ${receiver.requests.length} attempts`);
  assert.deepEqual(dead(), ids);

  const record = dlqReader.records[0]!;
  const value = deliveryCodec().decode(record.message.value!);
  const h = record.headers;
  assert.equal(h['hookstream-kind'], 'delivery');
  assert.equal(h['hookstream-reason'], 'retries_exhausted');
  assert.equal(h['hookstream-attempts'], '6');
  assert.equal(h['hookstream-app-id'], 'app1');
  assert.equal(h['hookstream-webhook-id'], 'hook-a');
  // The last attempt was made from the last tier: that is the original topic.
  assert.equal(h['hookstream-original-topic'], names.retries.at(-1)!.name);
  assert.match(h['hookstream-original-partition']!, /^\d+$/);
  assert.match(h['hookstream-original-offset']!, /^\d+$/);
  assert.ok(Math.abs(Date.parse(h['hookstream-failed-at']!) - Date.now()) < 30_000, 'failed-at is an ISO time of now');
  assert.match(h['hookstream-error']!, /500/);
  assert.equal(value.attempt, 6);
  assert.equal(value.app_id, 'app1');
  assert.equal(value.webhook_id, 'hook-a');
  // Secrets never reach Kafka: neither the app secret nor a header value.
  for (const r of dlqReader.records) {
    const all = `${r.message.value!.toString('latin1')} ${JSON.stringify(r.headers)}`;
    assert.ok(!all.includes('s1-secret-value') && !all.includes('header-secret-token'), 'no secret in the dead-letter record');
  }

  // Exactly 6 attempts per batch, numbered 1..6, one delivery id.
  const byDelivery = new Map<string, string[]>();
  for (const r of receiver.requests) {
    const id = String(r.headers['x-hookstream-delivery-id']);
    byDelivery.set(id, [...(byDelivery.get(id) ?? []), String(r.headers['x-hookstream-attempt'])]);
  }
  assert.equal(byDelivery.size, dlqReader.records.length);
  for (const attempts of byDelivery.values()) assert.deepEqual(attempts, ['1', '2', '3', '4', '5', '6']);
  // Each retry waited out its tier (attempt-schedule.test.ts bounds the delays from above).
  for (const id of byDelivery.keys()) {
    const at = receiver.requests.filter((r) => String(r.headers['x-hookstream-delivery-id']) === id).map((r) => r.receivedAt);
    const gaps = at.slice(1).map((time, i) => time - at[i]!);
    assert.ok(gaps.every((gap, i) => gap >= DELAYS[i]!), `gaps between attempts ${gaps.join(', ')} ms; tiers ${DELAYS.join(', ')} ms`);
  }

  // Metrics: one retry per tier and batch, one dead letter, an open circuit, tier lag exported.
  await waitUntil(() => service.inFlightEvents === 0, 5000, 'nothing in flight');
  const text = await service.registry.metrics();
  const batches = byDelivery.size;
  assert.deepEqual(DELAYS.map((d) => metricValue(text, 'hookstream_webhook_retries_total', { tier: formatDelay(d) })), DELAYS.map(() => batches));
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total', { reason: 'retries_exhausted' }), batches);
  assert.equal(metricValue(text, 'hookstream_webhook_circuit_state', { webhook_id: 'app1/hook-a' }), 2);
  for (const tier of names.retries) assert.ok(text.includes(`hookstream_consumer_lag{topic="${tier.name}"`), `lag of ${tier.name} exported`);

  // The operator's view: the entry, without any secret.
  const file = await writeConfigFile(t, raw);
  const listed = await dlq(['list', '--config', file]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /app1 +hook-a +retries_exhausted +6 +5 /);
  assert.ok(!listed.stdout.includes('s1-secret-value') && !listed.stdout.includes('header-secret-token'));
  const listedJson = JSON.parse((await dlq(['list', '--config', file, '--json'])).stdout) as { total: number; entries: { events: number; attempts: number }[] };
  assert.equal(listedJson.total, batches);
  assert.equal(listedJson.entries.reduce((n, e) => n + e.events, 0), 5);

  // A dry run changes nothing.
  const dry = await dlq(['requeue', '--config', file]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`would requeue ${batches} batch(es)? \\(5 events\\)`));

  // Neither list nor the dry run moved the cursor, nor left their throwaway groups behind.
  const cursorGroup = `${config.kafka.group_id}.dlq-requeue`;
  const cursor = async (): Promise<string[]> =>
    ((await withAdmin((a) => a.fetchOffsets({ groupId: cursorGroup, topics: [names.dlq] })))[0]?.partitions ?? []).map((p) => p.offset);
  assert.ok((await cursor()).every((o) => o === '-1'));
  const groups = (await withAdmin((a) => a.listGroups())).groups.map((g) => g.groupId);
  assert.deepEqual(groups.filter((g) => g.startsWith(`${config.kafka.group_id}.dlq-read`)), []);

  receiver.setStatus(200);
  const before = receiver.requests.length;
  const requeued = await dlq(['requeue', '--config', file, '--execute']);
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.match(requeued.stdout, new RegExp(`requeued ${batches} batch(es)? \\(5 events\\) to ${names.retries[0]!.name.replace(/\./g, '\\.')}`));
  await receiver.waitFor((r) => r.acceptedEvents().length >= 5, 15_000);
  const after = receiver.requests.slice(before);
  assert.deepEqual(after.flatMap((r) => r.body?.events?.map((e) => e.id) ?? []).sort(), ids);
  // Attempts counted afresh; the batch keeps its delivery id.
  assert.ok(after.every((r) => r.headers['x-hookstream-attempt'] === '1' && byDelivery.has(String(r.headers['x-hookstream-delivery-id']))));
  assert.equal(receiver.invalidCount, 0);

  // The cursor passed them: it is at the end of the topic ...
  const ends = await withAdmin((a) => a.fetchTopicOffsets(names.dlq));
  assert.deepEqual(await cursor(), ends.sort((a, b) => a.partition - b.partition).map((e) => (e.high === '0' ? '-1' : e.high)));
  // ... so a second run requeues nothing, and list shows nothing left.
  const second = await dlq(['requeue', '--config', file, '--execute']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /nothing to requeue/);
  assert.match((await dlq(['list', '--config', file])).stdout, /^no entries/);
  assert.match((await dlq(['list', '--config', file, '--all'])).stdout, new RegExp(`${batches} entr(y|ies) in`));
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(receiver.requests.length, before + after.length, 'nothing delivered twice');
});

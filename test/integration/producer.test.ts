import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { Admin } from 'kafkajs';
import { decodeEvent } from '../../src/contract/index.js';
import { EventValidationError, HookstreamError } from '../../src/errors.js';
import { createProducer, type Producer, type ProducerOptions, type PublishEvent } from '../../src/producer/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { waitForTopicLeaders } from '../../src/kafka/topics.js';
import { brokers, createAdmin, defer, readRecords, uniqueName, withAdmin } from '../helpers/kafka.js';

/**
 * Like the helper's createTopics, but waits for leaders itself: kafkajs' `waitForLeaders`
 * gives up on UNKNOWN_TOPIC_OR_PARTITION, which a fresh KRaft broker answers at first.
 */
async function createTopic(t: TestContext, topic: string, partitions: number): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: false });
    await waitForTopicLeaders(admin, [topic]);
  });
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined));
}

async function setup(t: TestContext, options: Partial<ProducerOptions> = {}): Promise<{ topic: string; admin: Admin; producer: Producer }> {
  const topic = uniqueName('hs-it-producer');
  await createTopic(t, topic, 3);
  const admin = await createAdmin(t);
  const producer = createProducer({ brokers: brokers(), topic, nodeId: 'node-it', ...options });
  defer(t, () => producer.close());
  return { topic, admin, producer };
}

/**
 * Records in the topic: the sum of high watermarks (no transactions, so no control records).
 * A partition that just got its leader may still answer NOT_LEADER_FOR_PARTITION for a
 * moment, and kafkajs does not retry that here; so this does, briefly.
 */
async function recordCount(admin: Admin, topic: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high), 0);
    } catch (err) {
      if (attempt >= 50 || !(err instanceof Error && (err as { retriable?: boolean }).retriable === true)) throw err;
      await sleep(100);
    }
  }
}

const occupied = (app: string, channel: string): PublishEvent => ({ app_id: app, name: 'channel_occupied', channel });

test('publish resolves after the broker acknowledged; id, time and node are filled in', { timeout: 60_000 }, async (t) => {
  const { topic, admin, producer } = await setup(t);
  const before = Date.now();
  await producer.publish({ app_id: 'app-1', name: 'member_added', channel: 'presence-room', user_id: 'u-1', data: '{"n":1}' });
  const published = Date.now();
  // Acknowledged means readable: the high watermark already counts it, without any flush.
  assert.equal(await recordCount(admin, topic), 1);

  const [record] = (await readRecords(t, topic, 1)).map((r) => r.message);
  assert.equal(record!.key!.toString('utf8'), 'app-1');
  const event = decodeEvent(record!.value!);
  assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(event.time_ms >= before && event.time_ms <= published);
  assert.deepEqual(event, {
    id: event.id,
    app_id: 'app-1',
    name: 'member_added',
    channel: 'presence-room',
    event: null,
    data: '{"n":1}',
    socket_id: null,
    user_id: 'u-1',
    subscription_count: null,
    time_ms: event.time_ms,
    node_id: 'node-it',
  });
});

test('an invalid event is rejected with the field named and nothing is sent', { timeout: 60_000 }, async (t) => {
  const { topic, admin, producer } = await setup(t);
  await assert.rejects(producer.publish({ app_id: 'app-1', name: 'member_added', channel: 'private-room', user_id: 'u' }), (err: unknown) => {
    assert.ok(err instanceof EventValidationError);
    assert.equal(err.code, 'HS_EVENT_INVALID');
    assert.equal(err.field, 'channel');
    return true;
  });
  // One bad event in publishMany keeps the whole call out, and says which one it was.
  await assert.rejects(
    producer.publishMany([occupied('app-1', 'a'), { app_id: 'app-1', name: 'connection_established' }]),
    (err: unknown) => err instanceof EventValidationError && err.field === 'socket_id' && err.message.startsWith('events[1]: '),
  );
  await producer.publish(occupied('app-1', 'ok'));
  await producer.flush();
  assert.equal(await recordCount(admin, topic), 1);
  const [record] = (await readRecords(t, topic, 1)).map((r) => r.message);
  assert.equal(decodeEvent(record!.value!).channel, 'ok');
});

test('reject mode refuses events beyond maxBufferedEvents at once, and sends the rest', { timeout: 60_000 }, async (t) => {
  // A long linger keeps the first events buffered while the later ones arrive.
  const { topic, admin, producer } = await setup(t, { maxBufferedEvents: 5, onBufferFull: 'reject', lingerMs: 60_000 });
  const all = Array.from({ length: 8 }, (_, i) => producer.publish(occupied('app-1', `c-${i}`)));
  const results = await Promise.allSettled(all.slice(5));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof HookstreamError);
    assert.equal(r.reason.code, 'HS_PRODUCER_BUFFER_FULL');
  }
  await producer.flush();
  await Promise.all(all.slice(0, 5));
  const records = (await readRecords(t, topic, 5)).map((r) => r.message);
  assert.deepEqual(records.map((r) => decodeEvent(r.value!).channel).sort(), ['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
  // With room again, publishing works.
  const after = producer.publish(occupied('app-1', 'after'));
  await producer.flush();
  await after;
  assert.equal(await recordCount(admin, topic), 6);
});

test('wait mode accepts events beyond maxBufferedEvents; they are sent, and settle, in publish order', { timeout: 60_000 }, async (t) => {
  const { topic, producer } = await setup(t, { maxBufferedEvents: 4, batchSize: 3, lingerMs: 0 });
  const events = Array.from({ length: 60 }, (_, i) => occupied('app-7', `c-${i}`));
  const order: number[] = [];
  await Promise.all(events.map((e, i) => producer.publish(e).then(() => order.push(i))));
  assert.deepEqual(order, events.map((_, i) => i), 'promises settle in publish order');
  const records = (await readRecords(t, topic, 60)).map((r) => r.message);
  assert.deepEqual(
    records.map((r) => decodeEvent(r.value!).channel),
    events.map((e) => e.channel),
  );
});

test('flush sends without waiting for the linger time and resolves once all is acknowledged', { timeout: 60_000 }, async (t) => {
  const { topic, admin, producer } = await setup(t, { lingerMs: 60_000 });
  await producer.flush(); // nothing buffered: resolves at once
  const settled: number[] = [];
  const pending = [0, 1, 2].map((i) => producer.publish(occupied(`app-${i}`, 'c')).then(() => settled.push(i)));
  assert.equal(await recordCount(admin, topic), 0, 'lingering, not sent yet');
  const started = Date.now();
  await producer.flush();
  assert.ok(Date.now() - started < 30_000, 'flush did not wait for lingerMs');
  assert.deepEqual(settled.sort(), [0, 1, 2], 'every publish settled before flush resolved');
  assert.equal(await recordCount(admin, topic), 3);
  await Promise.all(pending);
});

test('close flushes, is idempotent, and later publishes are refused', { timeout: 60_000 }, async (t) => {
  const { topic, admin, producer } = await setup(t, { lingerMs: 60_000 });
  const pending = producer.publishMany([occupied('app-1', 'a'), occupied('app-2', 'b')]);
  const first = producer.close();
  assert.equal(producer.close(), first, 'close returns the same promise');
  await first;
  await pending;
  assert.equal(await recordCount(admin, topic), 2);
  await assert.rejects(producer.publish(occupied('app-1', 'late')), (err: unknown) => err instanceof HookstreamError && err.code === 'HS_PRODUCER_CLOSED');
  await assert.rejects(producer.publishMany([occupied('app-1', 'late')]), (err: unknown) => err instanceof HookstreamError && err.code === 'HS_PRODUCER_CLOSED');
  await producer.close();
  assert.equal(await recordCount(admin, topic), 2);
});

test('a send that fails after retries rejects its events and flush; nothing is dropped silently', { timeout: 60_000 }, async (t) => {
  // A topic that does not exist (and is not auto-created) makes every produce request fail.
  const topic = uniqueName('hs-it-producer-missing');
  const producer = createProducer({
    brokers: brokers(),
    topic,
    nodeId: 'node-it',
    retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 },
    // kafkajs logs every failed metadata request; expected here.
    logger: silentLogger(),
  });
  defer(t, () => producer.close());
  const published = producer.publish(occupied('app-1', 'c'));
  const flushed = producer.flush();
  const failure = await published.then(
    () => assert.fail('publish to a missing topic resolved'),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof Error);
  assert.ok(!(failure instanceof HookstreamError), `a kafkajs error, got ${String(failure)}`);
  await assert.rejects(flushed, (err: unknown) => err === failure);
  // close still resolves: the failure was reported on the event's own promise.
  await producer.close();
});

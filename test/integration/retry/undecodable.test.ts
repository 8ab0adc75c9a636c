import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { decodeEvent, encodeEvent, EVENT_SCHEMA_FINGERPRINT_HEX } from '../../../src/contract/index.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { createProducer } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, spawnService, testConfig, waitUntilAsync } from '../../helpers/service.js';
import { readTopic } from './support.js';

const VALID = 10_000;
const GARBAGE = 1_000;
const APPS = ['app-0', 'app-1', 'app-2', 'app-3'];

/** A small deterministic PRNG, so a failing mix can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Garbage of every kind the decoder must refuse: random bytes, the Avro magic with an
 * unknown fingerprint, the right magic and fingerprint with a broken body, an empty value.
 * Each is unique (its index is in it, or its length), so the test can find it again.
 */
function garbage(i: number, random: () => number): Buffer {
  const tag = Buffer.from(`garbage-${i}`);
  const noise = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
  switch (i % 4) {
    case 0:
      return Buffer.concat([Buffer.from([0x00]), tag, noise]);
    case 1:
      return Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from('0123456789abcdef', 'hex'), tag, noise]);
    case 2:
      // Right header, then a body that is not a WebhookEvent (a string length of -1).
      return Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from(EVENT_SCHEMA_FINGERPRINT_HEX, 'hex'), Buffer.from([0x01]), tag]);
    default:
      return Buffer.concat([Buffer.from('{"app_id":"app-0","name":"channel_occupied"}'), tag]);
  }
}

test('1,000 garbage records among 10,000 events: every event delivered, every garbage record dead-lettered as undecodable, no restart', async (t) => {
  const receiver = await startReceiver({ apps: APPS.map((id) => ({ key: `k-${id}`, secret: `s-${id}` })) });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: APPS.map((id) => ({ id, key: `k-${id}`, secret: `s-${id}`, webhooks: [{ url: receiver.url(`/${id}`), event_types: ['channel_occupied'] }] })),
    retry: { delays_ms: [200, 400, 800, 1600, 3200] },
  });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  // The log is checked for crashes (error) and fatal lines below: keep them in it.
  const service = await spawnService(t, raw, { minLogLevel: 'info' });
  await service.waitReady();
  const startTime = metricValue(await service.metrics(), 'process_start_time_seconds');
  const dlqReader = await readTopic(t, names.dlq);

  const random = prng(7);
  const messages: { key: string; value: Buffer }[] = [];
  const garbageHex = new Set<string>();
  const validIds = new Set<string>();
  for (let i = 0, g = 0; i < VALID + GARBAGE; i++) {
    const key = APPS[Math.floor(random() * APPS.length)]!;
    if (i % 11 === 5 && g < GARBAGE) {
      const value = garbage(g++, random);
      assert.throws(() => decodeEvent(value), Error, `garbage ${g - 1} must not decode`);
      garbageHex.add(value.toString('hex'));
      messages.push({ key, value });
    } else {
      const event: WebhookEvent = { id: `ev-${i}`, app_id: key, name: 'channel_occupied', channel: `room-${i % 17}`, event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: 'node-1' };
      validIds.add(event.id);
      messages.push({ key, value: encodeEvent(event) });
    }
  }
  assert.equal(garbageHex.size, GARBAGE);
  assert.equal(validIds.size, VALID);

  const producer = await createProducer(t);
  const started = Date.now();
  for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic: names.events, messages: messages.slice(i, i + 1000) });

  await receiver.waitFor((r) => new Set(r.acceptedEvents().map((e) => e.id)).size >= VALID, 45_000);
  await dlqReader.waitFor((rs) => rs.length >= GARBAGE, 20_000, 'every garbage record dead-lettered');
  t.diagnostic(`all delivered and dead-lettered ${Date.now() - started} ms after the first send; ${receiver.requests.length} requests`);

  const delivered = new Set(receiver.acceptedEvents().map((e) => String(e.id)));
  assert.deepEqual([...validIds].filter((id) => !delivered.has(id)), [], 'no valid event lost');
  assert.equal(receiver.invalidCount, 0);

  assert.equal(dlqReader.records.length, GARBAGE, 'one dead letter per garbage record, nothing else');
  const seen = new Set<string>();
  for (const r of dlqReader.records) {
    assert.equal(r.headers['hookstream-reason'], 'undecodable');
    assert.equal(r.headers['hookstream-kind'], 'event');
    assert.equal(r.headers['hookstream-original-topic'], names.events);
    assert.equal(r.headers['hookstream-attempts'], '0');
    assert.match(r.headers['hookstream-original-offset']!, /^\d+$/);
    assert.ok(r.headers['hookstream-error']!.length > 0);
    // The value is the original record's bytes, unchanged.
    const hex = r.message.value!.toString('hex');
    assert.ok(garbageHex.has(hex), 'the value is one of the garbage records, byte for byte');
    seen.add(hex);
  }
  assert.equal(seen.size, GARBAGE);

  // The same process all along: never exited, never restarted its consumers.
  const metrics = await service.metrics();
  assert.equal(service.child.exitCode, null);
  assert.equal(service.child.signalCode, null);
  assert.equal(metricValue(metrics, 'process_start_time_seconds'), startTime);
  assert.equal(metricValue(metrics, 'hookstream_webhook_dead_lettered_total', { reason: 'undecodable' }), GARBAGE);
  const log = await readFile(service.logFile, 'utf8');
  assert.doesNotMatch(log, /consumer crashed|"level":60/, 'no consumer crash or fatal log line');
  await waitUntilAsync(async () => (await fetch(`http://127.0.0.1:${service.metricsPort}/readyz`)).status === 200, 5000, 'still ready');
});

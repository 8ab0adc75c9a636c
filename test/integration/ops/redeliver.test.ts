import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT_SOME_HANDED_OFF, run as redeliver } from '../../../src/cli/redeliver.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { tempDir } from '../../helpers/io.js';
import { brokers, readRecords } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig } from '../../helpers/service.js';

test('redeliver sends exactly one app\'s events of a range again, marked as replay, while the service runs', async (t) => {
  const receiver = await startReceiver({ apps: [{ key: 'ka', secret: 'sa' }, { key: 'kb', secret: 'sb' }] });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [
      { id: 'a', key: 'ka', secret: 'sa', webhooks: [{ id: 'all', url: receiver.url('/a'), event_types: ['client_event', 'member_added'] }, { id: 'presence', url: receiver.url('/a-presence'), event_types: ['member_added'], filter: { channel_type: 'presence' } }] },
      { id: 'b', key: 'kb', secret: 'sb', webhooks: [{ url: receiver.url('/b'), event_types: ['client_event', 'member_added'] }] },
    ],
    partitions: 3,
  });
  const config = await createServiceTopics(t, raw);
  const file = join(await tempDir(t, 'hs-redeliver-'), 'config.json');
  await writeFile(file, JSON.stringify(raw));
  await startService(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());

  const base = Date.now() - 60_000;
  const events: (PublishEvent & { id: string; app_id: string; time_ms: number })[] = [];
  for (let i = 0; i < 60; i++) {
    const app = i % 2 === 0 ? 'a' : 'b';
    const time_ms = base + i * 500; // spans 30 s
    events.push(i % 3 === 0
      ? { id: `e${i}`, app_id: app, name: 'member_added', channel: `presence-room-${i % 4}`, user_id: `u${i}`, time_ms }
      : { id: `e${i}`, app_id: app, name: 'client_event', channel: `private-${i % 4}`, event: 'client-x', data: '{}', socket_id: '1.1', time_ms });
  }
  await producer.publishMany(events);
  // 60 events; app a's member_added (every 6th, 10 of them) go to two webhooks.
  await receiver.waitFor((r) => r.events().length >= 70, 15_000);
  const live = receiver.requests.length;

  const from = base + 10_000;
  const to = base + 20_000;
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await redeliver(['--config', file, '--app', 'a', '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString(), '--execute']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0, out);
  await new Promise((r) => setTimeout(r, 1000));

  const replayed = receiver.requests.slice(live);
  assert.ok(replayed.length > 0, 'something was redelivered');
  assert.ok(replayed.every((r) => r.headers['x-hookstream-replay'] === 'true'), 'every new request is a marked replay: the live service sent nothing itself');
  assert.equal(replayed.filter((r) => !r.valid).length, 0, 'signed like any delivery');
  const want = (pick: (e: (typeof events)[number]) => boolean) =>
    events.filter((e) => e.app_id === 'a' && e.time_ms >= from && e.time_ms < to && pick(e)).map((e) => e.id).sort();
  const got = (path: string) => replayed.filter((r) => r.path === path).flatMap((r) => r.body?.events ?? []).map((e) => String(e.id)).sort();
  assert.deepEqual(got('/a'), want(() => true));
  assert.deepEqual(got('/a-presence'), want((e) => e.name === 'member_added'));
  assert.deepEqual(got('/b'), [], 'other apps untouched');
  assert.match(out, /selected \d+, delivered \d+, failed 0/);
});

test('redeliver exits 3 and hands the events to the first retry tier when the endpoint fails', async (t) => {
  const receiver = await startReceiver({ status: 503, apps: { key: 'ka', secret: 'sa' } });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'a', key: 'ka', secret: 'sa', webhooks: [{ id: 'down', url: receiver.url('/a'), event_types: ['client_event'] }] }],
    partitions: 1,
  });
  const config = await createServiceTopics(t, raw);
  const file = join(await tempDir(t, 'hs-redeliver-'), 'config.json');
  await writeFile(file, JSON.stringify(raw));
  // No service runs: redeliver reads the topic itself, outside any group.
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());
  const base = Date.now() - 60_000;
  const ids = Array.from({ length: 5 }, (_, i) => `f${i}`);
  await producer.publishMany(ids.map((id, i) => ({ id, app_id: 'a', name: 'client_event', channel: 'private-x', event: 'client-x', data: '{}', socket_id: '1.1', time_ms: base + i })));

  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await redeliver(['--config', file, '--app', 'a', '--from', new Date(base - 1000).toISOString(), '--to', new Date(base + 1000).toISOString(), '--execute']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, EXIT_SOME_HANDED_OFF, out);
  assert.match(out, /selected 5, delivered 0, failed 5/);
  assert.ok(receiver.requests.length >= 1, 'an attempt was made');
  const [firstTier] = topicNames(config).retries;
  const [record] = await readRecords(t, firstTier!.name, 1);
  const handed = deliveryCodec().decode(record!.message.value!);
  assert.equal(handed.webhook_id, 'down');
  assert.deepEqual(handed.events.map((e) => e.id).sort(), ids);
});

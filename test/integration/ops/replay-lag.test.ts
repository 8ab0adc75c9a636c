import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run as replay } from '../../../src/cli/replay.js';
import { parseConfig } from '../../../src/config/index.js';
import { serviceLag } from '../../../src/ops/lag.js';
import { createProducer } from '../../../src/producer/index.js';
import { brokers, withAdmin } from '../../helpers/kafka.js';
import { tempDir } from '../../helpers/io.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntil } from '../../helpers/service.js';

async function configFile(t: TestContext, raw: Record<string, unknown>): Promise<string> {
  const file = join(await tempDir(t, 'hs-replay-'), 'config.json');
  await writeFile(file, JSON.stringify(raw));
  return file;
}

/** Runs a CLI command, capturing what it writes to stdout. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

test('replay --to-datetime redelivers exactly the events at or after T; refused while an instance runs', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k', secret: 's' } });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: receiver.url(), event_types: ['client_event'] }] }], partitions: 3 });
  const config = await createServiceTopics(t, raw);
  const file = await configFile(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());
  const publish = async (from: number, n: number) => {
    const events = Array.from({ length: n }, (_, i) => ({ id: `ev-${from + i}`, app_id: 'a', name: 'client_event', channel: `private-${(from + i) % 5}`, event: 'client-x', data: String(from + i), socket_id: '1.1' }));
    await producer.publishMany(events);
    return events;
  };

  let service = await startService(t, raw);
  const before = await publish(0, 30);
  await new Promise((r) => setTimeout(r, 50));
  const T = Date.now();
  await new Promise((r) => setTimeout(r, 50));
  const after = await publish(30, 30);
  await receiver.waitFor((r) => r.events().length >= 60, 15_000);

  const refused = await replay(['--config', file, '--to-datetime', new Date(T).toISOString(), '--execute']).then(
    () => 'applied',
    (err: unknown) => String(err),
  );
  assert.match(refused, /live member/, 'refused while the service runs');

  await service.close();
  const seen = receiver.events().length;
  const dry = await capture(() => replay(['--config', file, '--to-datetime', new Date(T).toISOString()]));
  assert.equal(dry.code, 0);
  assert.match(dry.out, new RegExp(`total\\s+${after.length}\\s+0$`, 'm'), `plan redelivers ${after.length}:\n${dry.out}`);
  const applied = await capture(() => replay(['--config', file, '--to-datetime', new Date(T).toISOString(), '--execute']));
  assert.equal(applied.code, 0, applied.out);

  service = await startService(t, raw);
  await receiver.waitFor((r) => r.events().length >= seen + after.length, 15_000);
  await new Promise((r) => setTimeout(r, 1000));
  const again = receiver.events().slice(seen).map((e) => e.id);
  // One clean start from the reset offsets, a receiver that always answers 200: each event
  // at or after T arrives once, so no duplicate is expected (sorted lists, not sets).
  const byId = (a: string | undefined, b: string | undefined): number => Number(a!.slice(3)) - Number(b!.slice(3));
  assert.deepEqual([...again].sort(byId), after.map((e) => e.id), 'exactly the events at or after T, each once');
  assert.ok(!again.some((id) => before.some((b) => b.id === id)), 'none before T');
  await service.close();
});

test('lag equals produced minus committed after consuming stops midway', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k', secret: 's' } });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: receiver.url(), event_types: ['client_event'] }] }],
    partitions: 2,
    batching: { enabled: false },
  });
  const config = await createServiceTopics(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());
  const service = await startService(t, raw);
  await producer.publishMany(Array.from({ length: 40 }, (_, i) => ({ app_id: 'a', name: 'client_event', channel: 'c', event: 'e', data: String(i), socket_id: '1.1' })));
  await receiver.waitFor((r) => r.events().length >= 40, 15_000);
  await waitUntil(() => service.inFlightEvents === 0, 5000, 'idle');
  await service.close();
  // Consuming has stopped; 25 more events arrive and stay unread.
  await producer.publishMany(Array.from({ length: 25 }, (_, i) => ({ app_id: 'a', name: 'client_event', channel: 'c', event: 'e', data: String(i), socket_id: '1.1' })));
  const rows = await withAdmin((admin) => serviceLag(admin, parseConfig(raw)));
  const events = rows.filter((r) => r.topic === config.kafka.topic);
  const total = events.reduce((n, r) => n + r.lag, 0);
  const produced = await withAdmin(async (admin) => (await admin.fetchTopicOffsets(config.kafka.topic)).reduce((n, p) => n + Number(p.high), 0));
  const committed = events.reduce((n, r) => n + (r.committed ?? 0), 0);
  assert.equal(total, produced - committed);
  assert.equal(total, 25, 'the unread events');
  assert.ok(rows.some((r) => r.topic.includes('.retry.')), 'retry tiers are listed too');
});

test('replay forward shows how many events it skips, never a negative redeliver count', async (t) => {
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['client_event'] }] }], partitions: 1 });
  const config = await createServiceTopics(t, raw);
  const file = await configFile(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());
  await producer.publishMany(Array.from({ length: 5 }, (_, i) => ({ app_id: 'a', name: 'client_event', channel: 'c', event: 'e', data: String(i), socket_id: '1.1' })));
  // The group has delivered the first two events.
  await withAdmin((admin) => admin.setOffsets({ groupId: config.kafka.group_id, topic: config.kafka.topic, partitions: [{ partition: 0, offset: '2' }] }));

  const back = await capture(() => replay(['--config', file, '--to-offset', '1']));
  assert.match(back.out, /^\s+0\s+2\s+1\s+1\s+0$/m, back.out);
  const forward = await capture(() => replay(['--config', file, '--to-offset', '4']));
  assert.match(forward.out, /^\s+0\s+2\s+4\s+0\s+2$/m, forward.out);
  assert.match(forward.out, /^\s+total\s+0\s+2$/m, forward.out);
  const future = await capture(() => replay(['--config', file, '--to-datetime', new Date(Date.now() + 3_600_000).toISOString()]));
  assert.match(future.out, /^\s+total\s+0\s+3$/m, `a future time skips to the end:\n${future.out}`);
  assert.doesNotMatch(back.out + forward.out + future.out, /\s-\d/, 'no negative count');
});

/**
 * Acceptance: at-least-once across a crash. The service runs as a real process
 * (`hookstream start`), is SIGKILLed in the middle of 20,000 events, and a new process on
 * the same topic and group must deliver every event that was not delivered before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, spawnService, testConfig, type RawApp } from '../../helpers/service.js';
import { acceptedIds, duplicateCount, missingIds, stamp } from './support.js';

const TOTAL = 20_000;
const APPS = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];

test('SIGKILL mid-stream, restart on the same group: every event arrives at least once', async (t) => {
  const credentials = APPS.map((id) => ({ key: `key-${id}`, secret: `secret-${id}` }));
  // Slow enough that 20,000 events take several seconds (the kill lands in the middle):
  // one request at a time per webhook, 50 events each, 100 ms per answer.
  const receiver = await startReceiver({ apps: credentials, delayMs: 100 });
  t.after(() => receiver.close());
  const apps: RawApp[] = APPS.map((id, i) => ({
    id,
    ...credentials[i]!,
    webhooks: [{ url: receiver.url(`/${id}`), event_types: ['client_event'] }],
  }));
  const raw = testConfig({ apps, batching: { duration: 50, size: 50 }, delivery: { concurrency_per_endpoint: 1 } });
  const config = await createServiceTopics(t, raw);

  const first = await spawnService(t, raw);
  await first.waitReady();

  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const inputs: PublishEvent[] = [];
  for (let i = 0; i < TOTAL; i++) {
    inputs.push({ app_id: APPS[i % APPS.length]!, name: 'client_event', channel: `private-c${i % 97}`, event: 'client-n', data: String(i), socket_id: '1.2' });
  }
  const published = stamp(inputs);
  await producer.publishMany(published);

  // Kill once a quarter has arrived: several commit intervals (1 s) of progress behind it.
  await receiver.waitFor((r) => r.events().length >= TOTAL / 4, 30_000);
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  const seenAtKill = new Set(acceptedIds(receiver)).size;
  t.diagnostic(`killed with ${seenAtKill} of ${TOTAL} distinct events delivered (log ${first.logFile})`);
  assert.ok(seenAtKill < TOTAL, 'the kill landed before the end of the stream');

  // The second process answers at full speed; it waits until the broker drops the dead member.
  receiver.setDelay(0);
  const restartedAt = Date.now();
  const second = await spawnService(t, raw);
  await second.waitReady(60_000);
  const expected = published.map((e) => e.id);
  await receiver.waitFor((r) => r.acceptedEvents().length >= TOTAL && missingIds(expected, acceptedIds(r)).length === 0, 60_000).catch((err: unknown) => {
    const missing = missingIds(expected, acceptedIds(receiver));
    throw new Error(`${missing.length} events never arrived (first: ${missing.slice(0, 3).join(', ')}); ${String(err)}; log ${second.logFile}`);
  });
  const ids = acceptedIds(receiver);
  const duplicates = duplicateCount(ids);
  t.diagnostic(`after restart: all ${TOTAL} delivered, ${duplicates} duplicates (${receiver.requests.length} requests), recovered in ${Date.now() - restartedAt} ms`);
  assert.equal(receiver.invalidCount, 0);
  assert.deepEqual(missingIds(expected, ids), []);
  // The restart resumed from the committed offsets, not from the beginning of the topic.
  assert.ok(duplicates < seenAtKill, `${duplicates} duplicates: the new process re-read only what was not committed`);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

/**
 * Acceptance: two service processes in one consumer group share the partitions; the
 * second joins in the middle of a stream (partitions move with deliveries in flight) and
 * is stopped with SIGTERM in the middle of it (it must exit 0); the first takes its
 * partitions back and nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers, withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, spawnService, testConfig, waitUntilAsync, type RawApp, type ServiceProcess } from '../../helpers/service.js';
import { acceptedIds, duplicateCount, logLinesWith, missingIds, publishAtRate } from './support.js';

const APPS = ['reb-1', 'reb-2', 'reb-3', 'reb-4', 'reb-5', 'reb-6', 'reb-7', 'reb-8'];
const PARTITIONS = 4;
const PER_SECOND = 800;
/** The stream runs until B has been stopped and A has taken over; at most 60 s. */
const MAX_TOTAL = PER_SECOND * 60;
/** How long the stream goes on after B has exited: A takes its partitions back mid-stream. */
const AFTER_STOP_MS = 3000;

/** Partitions of the events topic per `joined consumer group` line of a process, in order. */
async function joins(p: ServiceProcess, topic: string): Promise<number[][]> {
  const text = await readFile(p.logFile, 'utf8').catch(() => '');
  return logLinesWith(text, 'joined consumer group')
    .map((l) => (l.assignment as Record<string, number[]> | undefined) ?? {})
    .filter((a) => topic in a)
    .map((a) => [...(a[topic] ?? [])].sort((x, y) => x - y));
}

async function delivered(p: ServiceProcess): Promise<number> {
  return metricValue(await p.metrics(), 'hookstream_webhook_events_delivered_total');
}

test('a second process joins mid-stream and gets partitions; SIGTERM it mid-stream: it exits 0, the first takes over, nothing is lost', async (t) => {
  const credentials = APPS.map((id) => ({ key: `key-${id}`, secret: `secret-${id}` }));
  const receiver = await startReceiver({ apps: credentials, delayMs: 20 });
  t.after(() => receiver.close());
  const apps: RawApp[] = APPS.map((id, i) => ({ id, ...credentials[i]!, webhooks: [{ url: receiver.url(`/${id}`), event_types: ['client_event'] }] }));
  const raw = testConfig({ apps, partitions: PARTITIONS, batching: { duration: 50, size: 50 } });
  const config = await createServiceTopics(t, raw);
  const topic = config.kafka.topic;

  // Info: the 'joined consumer group' lines read by joins() are logged at info.
  const a = await spawnService(t, raw, { minLogLevel: 'info' });
  await a.waitReady();

  // Whatever fails below, the stream ends with the test (before its producer is closed).
  let stopPublishing = false;
  t.after(() => {
    stopPublishing = true;
  });
  const producer = createProducer({ brokers: brokers(), topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  const inputs: PublishEvent[] = [];
  for (let i = 0; i < MAX_TOTAL; i++) {
    inputs.push({ app_id: APPS[i % APPS.length]!, name: 'client_event', channel: `private-r${i % 13}`, event: 'client-n', data: String(i) });
  }
  // A stream that goes on until B has been stopped (at most MAX_TOTAL / PER_SECOND s). B
  // joins while it runs (partitions move away from A with deliveries in flight) and is
  // stopped while it still runs.
  let publishingDone = false;
  const publishing = publishAtRate(producer, inputs, { perSecond: PER_SECOND, chunk: 40, stop: () => stopPublishing }).finally(() => (publishingDone = true));
  // Awaited below; if the test fails before that, its end (producer closed) is no news.
  publishing.catch(() => undefined);
  await receiver.waitFor((r) => r.events().length >= 500, 10_000);

  const b = await spawnService(t, raw, { minLogLevel: 'info' });
  await b.waitReady();
  // B's join completes the rebalance; A gets its share of it at its next heartbeat.
  await waitUntilAsync(
    async () => {
      const [ja, jb] = [await joins(a, topic), await joins(b, topic)];
      const last = (j: number[][]): number[] => j[j.length - 1] ?? [];
      return jb.length >= 1 && ja.length >= 2 && last(ja).length + last(jb).length === PARTITIONS;
    },
    20_000,
    'both processes hold partitions of the events topic',
  );
  const splitA = (await joins(a, topic)).at(-1)!;
  const splitB = (await joins(b, topic)).at(-1)!;
  t.diagnostic(`split: A ${JSON.stringify(splitA)}, B ${JSON.stringify(splitB)}`);
  assert.ok(splitA.length > 0 && splitB.length > 0, 'each process owns partitions');

  await waitUntilAsync(async () => (await delivered(b)) > 0, 20_000, 'B delivering');
  const [beforeA, beforeB] = [await delivered(a), await delivered(b)];
  t.diagnostic(`before SIGTERM: A delivered ${beforeA}, B delivered ${beforeB}; receiver has ${receiver.events().length}`);
  assert.ok(!publishingDone, 'B is stopped while the stream is still being published');
  const stopAt = Date.now();
  b.child.kill('SIGTERM');
  const code = await Promise.race([b.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000).unref())]);
  assert.equal(code, 0, `the stopped process exits 0 (log ${b.logFile})`);
  t.diagnostic(`B exited 0 after ${Date.now() - stopAt} ms`);

  // The stream goes on for a while after B left, then ends.
  await new Promise((r) => setTimeout(r, AFTER_STOP_MS));
  assert.ok(!publishingDone, 'the stream still runs after B has exited');
  stopPublishing = true;
  const { published } = await publishing;
  t.diagnostic(`published ${published.length} events`);
  const endOffsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  assert.ok(
    endOffsets.every((p) => Number(p.high) > 0),
    `every partition carries events (${JSON.stringify(endOffsets.map((p) => p.high))})`,
  );
  const expected = published.map((e) => e.id);
  await receiver.waitFor((r) => r.acceptedEvents().length >= expected.length && missingIds(expected, acceptedIds(r)).length === 0, 40_000).catch((err: unknown) => {
    const missing = missingIds(expected, acceptedIds(receiver));
    throw new Error(`${missing.length} events never arrived; ${String(err)}; logs ${a.logFile} ${b.logFile}`);
  });
  const ids = acceptedIds(receiver);
  assert.equal(receiver.invalidCount, 0);
  assert.deepEqual(missingIds(expected, ids), []);

  // The survivor took over every partition and delivered the rest.
  const lastA = (await joins(a, topic)).at(-1)!;
  assert.deepEqual(lastA, Array.from({ length: PARTITIONS }, (_, i) => i), 'A owns every partition after B left');
  const afterA = await delivered(a);
  t.diagnostic(`A delivered ${afterA} in all (${afterA - beforeA} after the stop); ${duplicateCount(ids)} duplicates`);
  assert.ok(afterA > beforeA, 'the survivor delivered after the stop');
  a.child.kill('SIGTERM');
  assert.equal(await a.exited, 0);
});

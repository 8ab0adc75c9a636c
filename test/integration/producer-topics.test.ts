import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { run } from '../../src/cli/topics.js';
import { HANDOFF_OVERHEAD_BYTES, maxMessageBytes, waitForTopicLeaders } from '../../src/kafka/topics.js';
import { brokers, createAdmin, defer, uniqueName, withAdmin } from '../helpers/kafka.js';
import { capture } from '../helpers/io.js';


/** A config file whose kafka.brokers are the test broker's (KAFKA_BROKERS). */
async function configFile(t: TestContext, kafka: Record<string, unknown>, rest: Record<string, unknown> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-it-topics-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ kafka: { brokers: brokers(), ...kafka }, app_manager: { driver: 'memory', array: { apps: [] } }, ...rest }));
  return path;
}

async function runTopics(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await run(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

test('topics create makes the events, 5 retry and dead-letter topics; a second run finds them all', { timeout: 90_000 }, async (t) => {
  const topic = uniqueName('hs-it-topics');
  const expected = [topic, ...['1s', '2s', '4s', '8s', '16s'].map((d) => `${topic}.retry.${d}`), `${topic}.dlq`];
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics: expected })).catch(() => undefined));
  const config = await configFile(t, { topic, partitions: 3 });

  const first = await runTopics(['create', '--config', config]);
  assert.equal(first.code, 0, first.stderr);
  for (const name of expected) assert.match(first.stdout, new RegExp(`^created  ${name.replaceAll('.', '\\.')} \\(`, 'm'));
  assert.match(first.stdout, /^7 created, 0 already existed$/m);
  assert.equal(first.stderr, '');

  const admin = await createAdmin(t);
  const metadata = await admin.fetchTopicMetadata({ topics: expected });
  assert.deepEqual(
    metadata.topics.map((m) => [m.name, m.partitions.length]).sort(),
    expected.map((name) => [name, 3]).sort(),
  );
  // Retry and dead-letter topics take a record a hand-off head larger than the events
  // topic does: an event as large as the events topic allows can still be handed off.
  const limits = await maxMessageBytes(admin, expected);
  const eventsLimit = limits.get(topic)!;
  assert.ok(eventsLimit > 0);
  for (const name of expected.slice(1)) assert.equal(limits.get(name), eventsLimit + HANDOFF_OVERHEAD_BYTES, name);

  const second = await runTopics(['create', '--config', config]);
  assert.equal(second.code, 0, second.stderr);
  for (const name of expected) assert.match(second.stdout, new RegExp(`^exists   ${name.replaceAll('.', '\\.')} \\(`, 'm'));
  assert.match(second.stdout, /^0 created, 7 already existed$/m);
  assert.doesNotMatch(second.stdout, /^created/m);

  // A different partition count is reported, never applied.
  const other = await configFile(t, { topic, partitions: 5 });
  const third = await runTopics(['create', '--config', other]);
  assert.equal(third.code, 0);
  assert.match(third.stderr, new RegExp(`warning: topic ${topic.replaceAll('.', '\\.')} has 3 partitions, the config says 5; left unchanged`));
  const after = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(after.topics[0]!.partitions.length, 3);
});

test('topics create creates only what is missing', { timeout: 90_000 }, async (t) => {
  const topic = uniqueName('hs-it-topics-partial');
  const retries = [`${topic}.retry.500ms`, `${topic}.retry.1m`];
  const all = [topic, ...retries, `${topic}.dlq`];
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics: all })).catch(() => undefined));
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: retries[0]!, numPartitions: 2 }], waitForLeaders: false });
    await waitForTopicLeaders(admin, [retries[0]!]);
  });
  const config = await configFile(t, { topic, partitions: 2 }, { retry: { delays_ms: [500, 60_000] } });

  const result = await runTopics(['create', '--config', config]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^exists   ${retries[0]!.replaceAll('.', '\\.')} \\(retry, 2 partitions\\)$`, 'm'));
  assert.match(result.stdout, /^3 created, 1 already existed$/m);
});

test('topics without a subcommand is a usage error', async () => {
  await assert.rejects(runTopics(['--config', 'x.json']), { name: 'UsageError', message: /expected the subcommand "create"/ });
});

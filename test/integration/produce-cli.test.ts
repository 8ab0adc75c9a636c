import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { Partitioners } from 'kafkajs';
import { run } from '../../src/cli/produce.js';
import { KNOWN_EVENT_NAMES, decodeEvent, type WebhookEvent } from '../../src/contract/index.js';
import { waitForTopicLeaders } from '../../src/kafka/topics.js';
import { brokers, createAdmin, defer, readRecords, uniqueName, withAdmin } from '../helpers/kafka.js';
import { capture } from '../helpers/io.js';

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


async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-it-produce-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function produce(args: string[], stdin: Readable = Readable.from([])): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await run(args, { stdin, stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A small deterministic PRNG, so a failure can be reproduced line for line. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Line = Record<string, string | number>;

/** Every known event kind, valid per the compatibility table, for 50 apps in a random mix. */
function makeLines(count: number): Line[] {
  const random = prng(42);
  const lines: Line[] = [];
  for (let i = 0; i < count; i++) {
    const app_id = `app-${Math.floor(random() * 50)}`;
    const name = KNOWN_EVENT_NAMES[i % KNOWN_EVENT_NAMES.length]!;
    const socket_id = `${1000 + i}.${Math.floor(random() * 1e6)}`;
    const line: Line = { app_id, name };
    switch (name) {
      case 'channel_occupied':
      case 'channel_vacated':
      case 'cache_miss':
        line.channel = `channel-${i}`;
        break;
      case 'member_added':
        Object.assign(line, { channel: `presence-room-${i % 7}`, user_id: `user-${i}`, socket_id, data: JSON.stringify({ name: `Zoë ${i}`, emoji: '🎉' }) });
        break;
      case 'member_removed':
        Object.assign(line, { channel: `presence-room-${i % 7}`, user_id: `user-${i}`, socket_id });
        break;
      case 'client_event':
        Object.assign(
          line,
          i % 2 === 0
            ? { channel: `private-chat-${i % 11}`, event: 'client-typing', data: JSON.stringify({ text: `héllo ${i}` }), socket_id }
            : { channel: `presence-chat-${i % 11}`, event: 'client-msg', data: '', socket_id, user_id: `user-${i}` },
        );
        break;
      case 'subscription_count':
        Object.assign(line, { channel: `channel-${i}`, subscription_count: i % 1000 });
        break;
      case 'connection_established':
      case 'connection_terminated':
        line.socket_id = socket_id;
        break;
    }
    // Some lines carry their own id / time / node, the others get them filled in.
    if (i % 3 === 0) Object.assign(line, { id: `evt-${i}`, time_ms: 1_700_000_000_000 + i });
    if (i % 5 === 0) line.node_id = `socket-node-${i % 4}`;
    lines.push(line);
  }
  return lines;
}

const NULLS = { channel: null, event: null, data: null, socket_id: null, user_id: null, subscription_count: null };

test('produce sends 10,000 NDJSON events of 50 apps; read back identical, each app on one partition in order', { timeout: 180_000 }, async (t) => {
  const topic = uniqueName('hs-it-produce');
  await createTopic(t, topic, 6);
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ kafka: { brokers: brokers(), topic } }));
  const lines = makeLines(10_000);
  const file = join(dir, 'events.ndjson');
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

  const before = Date.now();
  const result = await produce(['--config', config, '--file', file]);
  const after = Date.now();
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
  assert.equal(result.stdout, `sent 10000 events to ${topic}\n`);

  const received = await readRecords(t, topic, 10_000, 60_000);
  // Per partition in offset order, then per app: the order the consumer will see.
  received.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
  const byApp = new Map<string, { partitions: Set<number>; events: WebhookEvent[] }>();
  for (const r of received) {
    const key = r.message.key!.toString('utf8');
    const event = decodeEvent(r.message.value!);
    assert.equal(event.app_id, key, 'the key is the app id');
    let entry = byApp.get(key);
    if (!entry) byApp.set(key, (entry = { partitions: new Set(), events: [] }));
    entry.partitions.add(r.partition);
    entry.events.push(event);
  }
  assert.equal(byApp.size, 50);

  const admin = await createAdmin(t);
  const metadata = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!;
  const javaCompatible = Partitioners.DefaultPartitioner();
  const ids = new Set<string>();
  const nodeId = `hookstream-cli@${hostname()}`;
  for (const [app, { partitions, events }] of byApp) {
    assert.equal(partitions.size, 1, `${app} is on partitions ${[...partitions].join(', ')}`);
    const expectedPartition = javaCompatible({ topic, partitionMetadata: metadata.partitions, message: { key: Buffer.from(app), value: null } });
    assert.equal([...partitions][0], expectedPartition, `${app} is on the murmur2 (Java-compatible) partition`);

    const sent = lines.filter((l) => l.app_id === app);
    assert.equal(events.length, sent.length, `${app}: record count`);
    events.forEach((event, i) => {
      const line = sent[i]!;
      const expected = { ...NULLS, node_id: nodeId, ...line, id: event.id, time_ms: event.time_ms };
      assert.deepEqual(event, expected, `${app} event ${i}: fields or order differ`);
      if (line.id !== undefined) {
        assert.equal(event.id, line.id);
        assert.equal(event.time_ms, line.time_ms);
      } else {
        assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.ok(event.time_ms >= before && event.time_ms <= after, `time_ms ${event.time_ms} filled when published`);
      }
      assert.ok(!ids.has(event.id), `duplicate id ${event.id}`);
      ids.add(event.id);
    });
  }
  assert.equal(ids.size, 10_000);
});

test('produce reports bad lines with their numbers, still sends the good ones, and exits 1', { timeout: 90_000 }, async (t) => {
  const topic = uniqueName('hs-it-produce-bad');
  await createTopic(t, topic, 2);
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ kafka: { brokers: brokers(), topic } }));
  const input = [
    JSON.stringify({ app_id: 'a', name: 'channel_occupied', channel: 'one' }),
    '',
    '{"app_id": "a", "name": ',
    JSON.stringify({ app_id: 'a', name: 'member_added', channel: 'room', user_id: 'u' }),
    '   ',
    JSON.stringify({ app_id: 'a', name: 'channel_vacated', channel: 'one', colour: 'red' }),
    '[1, 2]',
    JSON.stringify({ app_id: 'a', name: 'channel_vacated', channel: 'two' }),
  ].join('\r\n');

  // From stdin this time.
  const result = await produce(['--config', config], Readable.from([input]));
  assert.equal(result.code, 1);
  assert.equal(result.stdout, `sent 2 events to ${topic}\n`);
  const reports = result.stderr.trim().split('\n');
  assert.match(reports[0]!, /^line 3: invalid JSON: /);
  assert.match(reports[1]!, /^line 4: invalid event: member_added is sent for presence channels only/);
  assert.match(reports[2]!, /^line 6: invalid event: unknown field "colour"/);
  assert.match(reports[3]!, /^line 7: invalid event: an event must be a JSON object/);
  assert.equal(reports[4], '4 bad line(s) not sent (see above)');
  assert.equal(reports.length, 5);

  const received = await readRecords(t, topic, 2, 60_000);
  assert.deepEqual(received.map((r) => decodeEvent(r.message.value!).channel).sort(), ['one', 'two']);
});

test('produce: a missing file is an error, not an empty success', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ kafka: { brokers: brokers(), topic: uniqueName('hs-it-produce-none') } }));
  const result = await produce(['--config', config, '--file', join(dir, 'missing.ndjson')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /ENOENT/);
});

test('produce: a missing topic is one error that says how to create it, before any line is read', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  const topic = uniqueName('hs-it-produce-none');
  await writeFile(config, JSON.stringify({ kafka: { brokers: brokers(), topic } }));
  const stdin = Readable.from(['{"app_id":"a","name":"channel_occupied","channel":"c"}\n']);
  await assert.rejects(produce(['--config', config], stdin), (err: Error) => {
    assert.equal(err.message, `missing topics ${topic}: create them with "hookstream topics create --config FILE"`);
    return true;
  });
});

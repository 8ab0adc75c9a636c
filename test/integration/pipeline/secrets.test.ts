import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createProducer } from '../../../src/producer/index.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { brokers, createConsumer, uniqueName } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, spawnService, testConfig } from '../../helpers/service.js';

const SECRET = 'app-secret-7f3a91';
const TOKEN = 'header-token-c0ffee';

test('app secrets and header values never reach the logs or any Kafka record, even through failures', async (t) => {
  // The receiver fails every request and echoes what it got, as a careless endpoint might.
  const receiver = await startReceiver({ apps: { key: 'k', secret: SECRET }, status: 500, responseBody: `bad request, you sent Authorization: Bearer ${TOKEN}` });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'a', key: 'k', secret: SECRET, webhooks: [
      { id: 'w', url: receiver.url('/'), event_types: ['client_event'], headers: { Authorization: `Bearer ${TOKEN}` } },
    ] }],
    retry: { delays_ms: [200, 400] },
  });
  const config = await createServiceTopics(t, raw);
  // Debug: the most the service logs, so that every line that could carry a secret is checked.
  const service = await spawnService(t, raw, { minLogLevel: 'debug' });
  await service.waitReady();
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'n' });
  t.after(() => producer.close());
  await producer.publishMany(Array.from({ length: 5 }, (_, i) => ({ app_id: 'a', name: 'client_event', channel: 'private-c', event: 'client-x', data: String(i), socket_id: '1.1' })));
  // 3 attempts (first + 2 tiers), then the dead-letter topic.
  await receiver.waitFor((r) => r.requests.length >= 3, 20_000);
  assert.ok(receiver.requests.every((r) => r.valid), 'requests were signed with the secret');
  await new Promise((r) => setTimeout(r, 1500));
  service.child.kill('SIGTERM');
  await service.exited;

  const log = await readFile(service.logFile, 'utf8');
  assert.ok(log.length > 0);
  assert.ok(!log.includes(SECRET), 'app secret in the service log');
  assert.ok(!log.includes(TOKEN), 'header value in the service log');

  const names = topicNames(config);
  const topics = [names.events, ...names.retries.map((r) => r.name), names.dlq];
  const consumer = await createConsumer(t, { groupId: uniqueName('scan') });
  await consumer.subscribe({ topics, fromBeginning: true });
  let records = 0;
  let dead = 0;
  const leaks: string[] = [];
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      records++;
      if (topic === names.dlq) dead++;
      const parts = [message.key, message.value, ...Object.values(message.headers ?? {}).flat()].filter((p): p is Buffer => Buffer.isBuffer(p));
      for (const p of parts) if (p.includes(SECRET) || p.includes(TOKEN)) leaks.push(`${topic}@${message.offset}`);
    },
  });
  const deadline = Date.now() + 15_000;
  // The five events, at least one record on each of the two tiers, and the dead letter:
  // wait for all of them (topics are fetched in no particular order).
  while ((dead < 1 || records < 8) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(dead >= 1, `dead letters read: ${dead}`);
  assert.ok(records >= 8, `records read: ${records}`);
  assert.deepEqual(leaks, []);
});

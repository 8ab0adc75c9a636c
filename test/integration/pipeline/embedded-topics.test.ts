import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseConfig } from '../../../src/config/index.js';
import { allTopics, topicNames } from '../../../src/kafka/topics.js';
import { defer, withAdmin } from '../../helpers/kafka.js';
import { spawnService, testConfig } from '../../helpers/service.js';

test('start --embedded with a broker that answers creates the missing topics and says so in its log', async (t) => {
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['channel_occupied'] }] }], retry: { delays_ms: [1000] } });
  const topics = allTopics(topicNames(parseConfig(raw)));
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics })).catch(() => undefined));
  // KAFKA_BROKERS is set (test/run.ts sets it): the broker that answers is used, none started.
  const service = await spawnService(t, raw, { args: ['--embedded'], minLogLevel: 'info' });
  await service.waitReady();
  const log = (await readFile(service.logFile, 'utf8')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; created?: string[] });
  const created = log.find((l) => l.msg === 'topics created');
  assert.ok(created, `no "topics created" line in ${service.logFile}`);
  assert.deepEqual(created.created, topics);
});

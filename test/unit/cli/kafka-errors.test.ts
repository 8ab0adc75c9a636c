import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaFailure } from '../../../src/kafka/client.js';
import { envLogLevel } from '../../../src/observability/logger.js';
import { HookstreamError } from '../../../src/errors.js';
import { runToExit, tempDir } from '../../helpers/io.js';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

async function configFile(dir: string, brokers: string[]): Promise<string> {
  const file = join(dir, `config-${brokers.length}.json`);
  await writeFile(file, JSON.stringify({ kafka: { brokers }, app_manager: { array: { apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [] }] } } }));
  return file;
}

test('a broker that does not answer is one line naming the brokers and where they came from, in every command', async (t) => {
  const dir = await tempDir(t, 'hs-kafka-errors-');
  const file = await configFile(dir, ['127.0.0.1:9092']);
  const events = join(dir, 'events.ndjson');
  await writeFile(events, '{"app_id":"a","name":"channel_occupied","channel":"c"}\n');
  const commands = [
    ['lag'],
    ['topics', 'create'],
    ['dlq', 'list'],
    ['replay', '--to-earliest'],
    ['redeliver', '--app', 'a', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z'],
    ['produce', '--file', events],
    ['start'],
  ];
  // The default log level: LOG_LEVEL unset, as a newcomer runs it.
  const env = { KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: undefined };
  const results = await Promise.all(commands.map((args) => runToExit(t, [main, ...args, '--config', file], 60_000, env)));
  for (const [i, r] of results.entries()) {
    const what = commands[i]!.join(' ');
    assert.equal(r.code, 1, `${what}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^hookstream ${commands[i]![0]}: no Kafka broker answers at 127\\.0\\.0\\.1:1 \\(from KAFKA_BROKERS\\): .*ECONNREFUSED`), what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, no stack, no kafkajs log:\n${r.stderr}`);
  }
});

test('kafka.brokers is named when KAFKA_BROKERS is not set; LOG_LEVEL=debug shows kafkajs retrying', async (t) => {
  const file = await configFile(await tempDir(t, 'hs-kafka-errors-'), ['127.0.0.1:1']);
  const [quiet, debug] = await Promise.all([
    runToExit(t, [main, 'lag', '--config', file], 60_000, { KAFKA_BROKERS: undefined, LOG_LEVEL: undefined }),
    runToExit(t, [main, 'lag', '--config', file], 60_000, { KAFKA_BROKERS: undefined, LOG_LEVEL: 'debug' }),
  ]);
  assert.equal(quiet.code, 1);
  assert.match(quiet.stderr, /^hookstream lag: no Kafka broker answers at 127\.0\.0\.1:1 \(from kafka\.brokers\)/);
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /"component":"kafkajs".*Connection error/);
});

test('kafkaFailure: kafkajs errors become one line naming the brokers; other errors pass through', () => {
  const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
  const wrapped = Object.assign(new Error(refused.message, { cause: refused }), { name: 'KafkaJSNonRetriableError' });
  const a = kafkaFailure(wrapped, ['10.0.0.1:9092', '10.0.0.2:9092'], 'kafka.brokers');
  assert.ok(a instanceof HookstreamError && a.code === 'HS_PRECONDITION');
  assert.equal(a.message, 'no Kafka broker answers at 10.0.0.1:9092,10.0.0.2:9092 (from kafka.brokers): Connection error: connect ECONNREFUSED 10.0.0.1:9092');
  const denied = Object.assign(new Error('Topic authorization failed'), { name: 'KafkaJSProtocolError' });
  assert.equal((kafkaFailure(denied, ['k:9092'], 'KAFKA_BROKERS') as Error).message, 'Kafka at k:9092 (from KAFKA_BROKERS): Topic authorization failed');
  // createTopics' error says only "Topic creation errors"; each topic's reason is inside.
  const perTopic = Object.assign(new Error('Replication-factor is invalid'), { name: 'KafkaJSCreateTopicError', topic: 'ev.retry.1s' });
  const aggregate = Object.assign(new Error('Topic creation errors'), { name: 'KafkaJSAggregateError', errors: [perTopic, perTopic] });
  assert.equal((kafkaFailure(aggregate, ['k:9092'], 'kafka.brokers') as Error).message, 'Kafka at k:9092 (from kafka.brokers): Topic creation errors: ev.retry.1s: Replication-factor is invalid');
  const bug = new TypeError('x is undefined');
  assert.equal(kafkaFailure(bug, ['k:9092'], 'kafka.brokers'), bug);
});

test('LOG_LEVEL: a level pino does not know is one line naming the valid ones', async (t) => {
  assert.equal(envLogLevel('warn', {}), 'warn');
  assert.equal(envLogLevel('warn', { LOG_LEVEL: ' debug ' }), 'debug');
  assert.throws(() => envLogLevel('warn', { LOG_LEVEL: 'verbose' }), /LOG_LEVEL: "verbose" is not a log level; use one of fatal, error, warn, info, debug, trace, silent/);
  const r = await runToExit(t, [main, 'start', '--config', 'does-not-matter.json'], 30_000, { LOG_LEVEL: 'bogus' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'hookstream start: LOG_LEVEL: "bogus" is not a log level; use one of fatal, error, warn, info, debug, trace, silent\n');
});

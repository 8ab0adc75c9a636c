import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent } from '../../../src/contract/index.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { createProducer } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, metricValue, startService, testConfig } from '../../helpers/service.js';
import { dlq, readTopic, writeConfigFile } from './support.js';

function event(fields: Partial<WebhookEvent> & { id: string; name: string }): WebhookEvent {
  return { app_id: 'app1', channel: 'presence-room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: 'go-node', ...fields };
}

test('events that break the field table (written without the producer library) are dead-lettered as invalid_event; the rest is delivered', async (t) => {
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }] });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'all', url: receiver.url('/all'), event_types: ['member_added', 'member_removed', 'channel_occupied', 'subscription_count'] }] }],
  });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  const dlqReader = await readTopic(t, names.dlq);
  const service = await startService(t, raw);

  // What a socket server in another language might write: the Avro schema accepts each.
  const invalid = [
    event({ id: 'bad-1', name: 'member_added', channel: 'private-room', user_id: 'u1' }),
    event({ id: 'bad-2', name: 'channel_occupied', data: '{"leak":true}' }),
    event({ id: 'bad-3', name: 'member_removed' }),
    event({ id: 'bad-4', name: 'subscription_count', channel: 'presence-room', subscription_count: 3 }),
  ];
  const valid = [
    event({ id: 'ok-1', name: 'member_added', user_id: 'u1', socket_id: '1.1', data: '{"name":"A"}' }),
    event({ id: 'ok-2', name: 'channel_occupied' }),
    event({ id: 'ok-3', name: 'subscription_count', channel: 'room', subscription_count: 3 }),
  ];
  const producer = await createProducer(t);
  const values = new Map([...invalid, ...valid].map((e) => [e.id, encodeEvent(e)]));
  await producer.send({ topic: names.events, messages: [...values.values()].map((value) => ({ key: 'app1', value })) });

  await receiver.waitFor((r) => r.acceptedEvents().length >= valid.length, 15_000);
  await dlqReader.waitFor((rs) => rs.length >= invalid.length, 15_000, 'each invalid event dead-lettered');
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id).sort(), ['ok-1', 'ok-2', 'ok-3']);
  assert.equal(receiver.invalidCount, 0);

  const errors = new Map<string, string>();
  for (const r of dlqReader.records) {
    assert.equal(r.headers['hookstream-reason'], 'invalid_event');
    assert.equal(r.headers['hookstream-kind'], 'event');
    const id = [...values].find(([, v]) => v.equals(r.message.value!))?.[0];
    assert.ok(id, 'the value is one of the invalid records, byte for byte');
    errors.set(id, r.headers['hookstream-error']!);
  }
  assert.deepEqual([...errors.keys()].sort(), ['bad-1', 'bad-2', 'bad-3', 'bad-4']);
  assert.match(errors.get('bad-1')!, /presence channels only/);
  assert.match(errors.get('bad-2')!, /"data" is not a field of channel_occupied/);
  assert.match(errors.get('bad-3')!, /member_removed needs "user_id"/);
  assert.match(errors.get('bad-4')!, /never sent for presence channels/);
  assert.equal(metricValue(await service.registry.metrics(), 'hookstream_webhook_dead_lettered_total', { reason: 'invalid_event' }), 4);

  // Requeued, they would only be dead-lettered again: the requeue skips them.
  const file = await writeConfigFile(t, raw);
  const run = await dlq(['requeue', '--config', file, '--execute']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /skipped 4 invalid events/);
  assert.doesNotMatch(run.stdout, /re-published/);
});

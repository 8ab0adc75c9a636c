import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProducer, createTopics, readRecords, uniqueName } from '../helpers/kafka.js';

test('the test broker round-trips records through a topic and a consumer group', { timeout: 60_000 }, async (t) => {
  const topic = uniqueName('hs-it-roundtrip');
  await createTopics(t, [topic], 2);

  const producer = await createProducer(t);
  const sent = [
    { key: 'app-1', value: 'channel_occupied', headers: { 'hs-test': 'one' } },
    { key: 'app-2', value: 'member_added', headers: { 'hs-test': 'two' } },
    { key: 'app-1', value: 'channel_vacated', headers: { 'hs-test': 'three' } },
  ];
  await producer.send({ topic, messages: sent });

  const received = (await readRecords(t, topic, sent.length)).map((r) => r.message);

  const seen = received.map((m) => ({ key: m.key?.toString(), value: m.value?.toString(), header: m.headers?.['hs-test']?.toString() }));
  const expected = sent.map((m) => ({ key: m.key, value: m.value, header: m.headers['hs-test'] }));
  const byValue = (a: { value?: string }, b: { value?: string }) => (a.value ?? '').localeCompare(b.value ?? '');
  assert.deepEqual(seen.sort(byValue), expected.sort(byValue));
  // Same key, same partition, in order: what per-app ordering of webhooks relies on.
  const app1 = received.filter((m) => m.key?.toString() === 'app-1').map((m) => m.value?.toString());
  assert.deepEqual(app1, ['channel_occupied', 'channel_vacated']);
});

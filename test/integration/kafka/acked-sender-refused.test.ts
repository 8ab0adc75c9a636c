import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckedSender, kafkaErrorType } from '../../../src/kafka/acked-sender.js';
import { createTopics, kafka, readRecords, uniqueName } from '../../helpers/kafka.js';

test('a record the broker refuses (over max.message.bytes) fails alone: the records that shared its request are still written', async (t) => {
  const topic = uniqueName('acked-refused');
  await createTopics(t, [topic], 1, { 'max.message.bytes': '2000' });
  // One lane and no compression: the records after the first share one request.
  const sender = new AckedSender(kafka(), { lanes: 1, compression: 'none' });
  t.after(() => sender.close());
  const small = (n: number) => sender.send({ topic, key: 'app', value: Buffer.from(`small-${n}`) });
  const settle = (p: Promise<void>) => p.then(() => 'ok', (err: unknown) => kafkaErrorType(err) ?? String(err));
  const results = await Promise.all([settle(small(1)), settle(small(2)), settle(sender.send({ topic, key: 'app', value: Buffer.alloc(5000, 1) })), settle(small(3))]);
  assert.deepEqual(results, ['ok', 'ok', 'MESSAGE_TOO_LARGE', 'ok']);
  const read = await readRecords(t, topic, 3);
  assert.deepEqual(read.map((r) => r.message.value?.toString()).sort(), ['small-1', 'small-2', 'small-3']);
});

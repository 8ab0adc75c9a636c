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

test('after a refusal the other partitions of that request keep working: a refused request does not leave the producer out of sequence', async (t) => {
  const small = uniqueName('acked-small-limit');
  const normal = uniqueName('acked-normal');
  await createTopics(t, [small], 1, { 'max.message.bytes': '2000' });
  await createTopics(t, [normal], 1);
  const sender = new AckedSender(kafka(), { lanes: 1, compression: 'none' });
  t.after(() => sender.close());
  const settle = (p: Promise<void>) => p.then(() => 'ok', (err: unknown) => kafkaErrorType(err) ?? String(err));
  // The first send goes alone; the next three share a request that spans both topics. The
  // broker appends b1 and b2 and refuses the large record; kafkajs winds back the
  // sequence numbers of both partitions.
  const results = await Promise.all([
    settle(sender.send({ topic: normal, key: 'app', value: Buffer.from('b0') })),
    settle(sender.send({ topic: small, key: 'app', value: Buffer.alloc(5000, 1) })),
    settle(sender.send({ topic: normal, key: 'app', value: Buffer.from('b1') })),
    settle(sender.send({ topic: normal, key: 'app', value: Buffer.from('b2') })),
  ]);
  assert.deepEqual(results, ['ok', 'MESSAGE_TOO_LARGE', 'ok', 'ok']);
  // Later sends to the partition that was wound back still succeed.
  assert.equal(await settle(sender.send({ topic: normal, key: 'app', value: Buffer.from('b3') })), 'ok');
  // b1 and b2 twice: appended with the refused request, then sent again one by one.
  const read = await readRecords(t, normal, 6);
  assert.deepEqual(read.map((r) => r.message.value?.toString()), ['b0', 'b1', 'b2', 'b1', 'b2', 'b3']);
});

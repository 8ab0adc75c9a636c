import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckedSender } from '../../../src/kafka/acked-sender.js';
import { createTopics, kafka, uniqueName, withAdmin } from '../../helpers/kafka.js';

test('many large records sent at once are split into requests the broker accepts, each acknowledged', async (t) => {
  const topic = uniqueName('acked');
  await createTopics(t, [topic], 2);
  const sender = new AckedSender(kafka());
  t.after(() => sender.close());
  // 40 records of 100 KB: 4 MB in all, four times the broker's default message.max.bytes.
  const value = Buffer.alloc(100 * 1024, 7);
  await Promise.all(Array.from({ length: 40 }, (_, i) => sender.send({ topic, key: `app-${i % 3}`, value })));
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  assert.equal(offsets.reduce((n, p) => n + Number(p.high), 0), 40);
});

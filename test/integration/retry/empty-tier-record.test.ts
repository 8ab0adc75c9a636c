import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withAdmin } from '../../helpers/kafka.js';
import { waitUntilAsync } from '../../helpers/service.js';
import { tierRecord, tierTest } from './tier-records.js';

test('a retry record with no events is passed over: committed, holding no in-flight room, and later records are still delivered', async (t) => {
  const { receiver, config, names, service, producer } = await tierTest(t);
  const tier = names.retries[0]!.name;
  const record = (events: number) => tierRecord(`d-${events}`, Array.from({ length: events }, (_, i) => `ev-${i}`));
  await producer.send({ topic: tier, messages: [{ key: 'app1', value: record(0) }, { key: 'app1', value: record(2) }] });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 2, 15_000);
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), ['ev-0', 'ev-1']);
  await waitUntilAsync(async () => service.inFlightEvents === 0, 5_000, 'no in-flight room held');
  // Both records are committed by the tiers' group (the empty one did not hold the offset).
  await waitUntilAsync(
    async () => {
      const [offsets] = await withAdmin((admin) => admin.fetchOffsets({ groupId: `${config.kafka.group_id}.retry`, topics: [tier] }));
      return offsets?.partitions.some((p) => p.offset === '2') ?? false;
    },
    10_000,
    'tier offset committed past both records',
  );
});

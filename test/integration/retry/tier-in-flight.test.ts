import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../helpers/service.js';
import { tierRecord, tierTest } from './tier-records.js';

test('retry records count in the in-flight budget by their events: a budget of 50 holds two 40-event records, not all of them', async (t) => {
  // Slow enough that every record the consumer takes is in a request at the same time.
  const { receiver, names, service, producer } = await tierTest(t, { receiver: { delayMs: 800 }, delivery: { max_in_flight_events: 50 } });
  const record = (n: number) => tierRecord(`d-${n}`, Array.from({ length: 40 }, (_, i) => `r${n}-e${i}`));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, service.inFlightEvents)), 5);
  t.after(() => clearInterval(sampler));
  await producer.send({ topic: names.retries[0]!.name, messages: [1, 2, 3, 4].map((n) => ({ key: 'app1', value: record(n) })) });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 160, 20_000);
  await waitUntil(() => service.inFlightEvents === 0, 5_000, 'nothing left in flight');
  clearInterval(sampler);
  // The first record (40) leaves room, the second (80) fills the budget; the rest wait
  // until half of it is free. Counted as one each, all four would be taken at once.
  assert.equal(peak, 80, `peak in-flight events ${peak}`);
  const concurrent = Math.max(...receiver.requests.map((a) => receiver.requests.filter((b) => b.receivedAt < a.receivedAt + 800 && b.receivedAt >= a.receivedAt).length));
  assert.equal(concurrent, 2, 'at most two records in requests at once');
});

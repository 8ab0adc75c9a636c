import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../helpers/service.js';
import { tierRecord, tierTest } from './tier-records.js';

test('a retry record due much further ahead than its tier delay (a clock ahead, a damaged record) is delivered now, not held for hours', async (t) => {
  const { receiver, names, service, producer } = await tierTest(t);
  const record = (id: string, notBeforeMs: number) => tierRecord(`d-${id}`, [id], { not_before_ms: notBeforeMs });
  // On the 1 s tier: an hour ahead, then past 2^31 ms (where a Node timer fires at once).
  const started = Date.now();
  await producer.send({
    topic: names.retries[0]!.name,
    messages: [{ key: 'app1', value: record('hour-ahead', Date.now() + 3_600_000) }, { key: 'app1', value: record('years-ahead', Date.now() + 2 ** 40) }],
  });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 2, 15_000);
  t.diagnostic(`both delivered ${Date.now() - started} ms after they were written`);
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id).sort(), ['hour-ahead', 'years-ahead']);
  await waitUntil(() => service.inFlightEvents === 0, 5_000, 'nothing left in flight');
});

test('a retry record due within its tier delay is still held until then', async (t) => {
  const { receiver, names, producer } = await tierTest(t);
  // The 2 s tier, due in 1.5 s: plausible, so it waits.
  const due = Date.now() + 1500;
  await producer.send({
    topic: names.retries[1]!.name,
    messages: [{ key: 'app1', value: tierRecord('d-1', ['ev-1'], { tier: 1, not_before_ms: due }) }],
  });
  await receiver.waitFor((r) => r.acceptedEvents().length >= 1, 15_000);
  const at = receiver.requests[0]!.receivedAt;
  assert.ok(at >= due, `delivered ${due - at} ms before it was due`);
});

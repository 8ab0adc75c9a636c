import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { startReceiver } from '../../helpers/receiver.js';
import { testConfig } from '../../helpers/service.js';
import { serviceWithDeadLetters } from './support.js';

/** How much later than its tier's delay an attempt may arrive (the acceptance bound). */
const SLACK_MS = 1000;

test('429 with Retry-After: 3 s waits on the 4 s tier instead of the 1 s one, then delivers', async (t) => {
  const receiver = await startReceiver({
    apps: { key: 'k1', secret: 's1' },
    status: (_req, n) => (n === 1 ? 429 : 200),
    responseHeaders: { 'Retry-After': '3' },
  });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'throttled', url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }],
    retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] },
  });
  const { producer } = await serviceWithDeadLetters(t, raw);
  await producer.publishMany([{ id: 'ev-1', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' }]);

  await receiver.waitFor((r) => r.requests.some((q) => q.status === 200), 15_000);
  const [first, second] = receiver.requests;
  assert.equal(receiver.requests.length, 2);
  assert.deepEqual([first!.headers['x-hookstream-attempt'], second!.headers['x-hookstream-attempt']], ['1', '2']);
  const gap = second!.receivedAt - first!.receivedAt;
  t.diagnostic(`second attempt ${gap} ms after the first`);
  // The first tier covering 3 s is the 4 s one; the 1 s and 2 s tiers would be too early.
  assert.ok(gap >= 4000 && gap <= 4000 + SLACK_MS, `second attempt ${gap} ms after the first, expected 4000-${4000 + SLACK_MS}`);
  assert.deepEqual(second!.body?.events?.map((e) => e.id), ['ev-1']);
});

test('a receiver that keeps answering 429 with a long Retry-After gets every retry, each after the last tier\'s delay, then the batch is dead-lettered', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' }, status: 429, responseHeaders: { 'Retry-After': '1' } });
  t.after(() => receiver.close());
  // Every tier is shorter than the 1 s asked for, so every retry waits on the last one.
  const delays = [100, 200, 400];
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'throttled', url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }],
    retry: { delays_ms: delays },
  });
  const { dlqReader, producer } = await serviceWithDeadLetters(t, raw);
  await producer.publishMany([{ id: 'ev-1', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' }]);

  await dlqReader.waitFor((r) => r.length >= 1, 20_000, 'the dead letter');
  // A Retry-After wait does not use up the retries it skips: 1 + 3 attempts, as without it.
  assert.equal(receiver.requests.length, 1 + delays.length, 'one attempt per tier after the first');
  assert.deepEqual(receiver.requests.map((r) => r.headers['x-hookstream-attempt']), ['1', '2', '3', '4']);
  for (let i = 1; i < receiver.requests.length; i++) {
    const gap = receiver.requests[i]!.receivedAt - receiver.requests[i - 1]!.receivedAt;
    assert.ok(gap >= 400 && gap <= 400 + SLACK_MS, `attempt ${i + 1} came ${gap} ms after attempt ${i}, expected the last tier's 400 ms`);
  }
  const record = dlqReader.records[0]!;
  assert.equal(record.headers['hookstream-reason'], 'retries_exhausted');
  assert.equal(record.headers['hookstream-attempts'], '4');
  assert.deepEqual(deliveryCodec().decode(record.message.value!).events.map((e) => e.id), ['ev-1']);
});

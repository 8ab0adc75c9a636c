import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import type { Batch, BatchItem } from '../../../src/pipeline/batch/types.js';
import { WebhookQueue } from '../../../src/pipeline/batch/webhook-queue.js';
import { BODY_OVERHEAD_BYTES } from '../../../src/pipeline/deliver/wire.js';
import type { BatchingConfig } from '../../../src/config/types.js';

const config = parseConfig({ app_manager: { array: { apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://h/', event_types: ['x'] }] }] } } });
const app = config.apps[0]!;
const webhook = app.webhooks[0]!;

function item(n: number, bytes = 10): BatchItem {
  const json = JSON.stringify({ n }).padEnd(bytes, ' ');
  return { json, bytes: Buffer.byteLength(json), timeMs: n, event: { id: String(n), app_id: 'a', name: 'x', channel: null, event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: n, node_id: null } };
}

function queue(batching: BatchingConfig, opts: { maxBodyBytes?: number; concurrency?: number; hold?: boolean } = {}) {
  const sent: { at: number; batch: Batch }[] = [];
  const release: (() => void)[] = [];
  const q = new WebhookQueue({
    app, webhook, batching, maxBodyBytes: opts.maxBodyBytes ?? 1 << 20, concurrency: opts.concurrency ?? 4,
    send: (batch) => {
      sent.push({ at: Date.now(), batch });
      return opts.hold ? new Promise<void>((r) => release.push(r)) : Promise.resolve();
    },
  });
  return { q, sent, release };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('batching off: one event per batch, sent at once', () => {
  const { q, sent } = queue({ enabled: false, duration: 1000, size: 100 });
  q.add(item(1));
  q.add(item(2));
  assert.deepEqual(sent.map((s) => s.batch.items.map((i) => i.timeMs)), [[1], [2]]);
  assert.notEqual(sent[0]!.batch.deliveryId, sent[1]!.batch.deliveryId);
});

test('a window is sent `duration` ms after its first event, events in order', (t) => {
  // On a mocked clock: exact, however slow the machine (real timers only promise "not before").
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const { q, sent } = queue({ enabled: true, duration: 60, size: 100 });
  q.add(item(1));
  t.mock.timers.tick(20);
  q.add(item(2));
  q.add(item(3));
  t.mock.timers.tick(39);
  assert.equal(sent.length, 0, 'nothing sent 59 ms after the first event');
  t.mock.timers.tick(1);
  assert.equal(sent.length, 1, 'sent 60 ms after the first event, not 60 ms after the last');
  assert.deepEqual(sent[0]!.batch.items.map((i) => i.timeMs), [1, 2, 3]);
  assert.equal(sent[0]!.at, 60);
  q.dispose();
});

test('a window is sent as soon as it holds `size` events', () => {
  const { q, sent } = queue({ enabled: true, duration: 10_000, size: 3 });
  for (let i = 1; i <= 7; i++) q.add(item(i));
  assert.deepEqual(sent.map((s) => s.batch.items.length), [3, 3]);
  q.flush();
  assert.deepEqual(sent.map((s) => s.batch.items.length), [3, 3, 1]);
  q.dispose();
});

test('a batch never passes the byte cap; a single oversized event goes alone', () => {
  const cap = BODY_OVERHEAD_BYTES + 3 * 100 + 2; // room for exactly three 100-byte events
  const { q, sent } = queue({ enabled: true, duration: 10_000, size: 100 }, { maxBodyBytes: cap });
  for (let i = 1; i <= 7; i++) q.add(item(i, 100));
  q.add(item(8, 5000));
  q.flush();
  assert.deepEqual(sent.map((s) => s.batch.items.length), [3, 3, 1, 1]);
  for (const { batch } of sent.slice(0, 3)) {
    const body = BODY_OVERHEAD_BYTES + batch.items.reduce((n, i) => n + i.bytes, 0) + batch.items.length - 1;
    assert.ok(body <= cap, `body ${body} <= ${cap}`);
  }
});

test('while every slot is busy a due window keeps filling up to size', async () => {
  const { q, sent, release } = queue({ enabled: true, duration: 10, size: 5 }, { concurrency: 1, hold: true });
  q.add(item(1));
  await sleep(30);
  assert.equal(sent.length, 1, 'first window went out');
  for (let i = 2; i <= 4; i++) q.add(item(i));
  await sleep(30);
  assert.equal(sent.length, 1, 'slot busy: window waits');
  q.add(item(5));
  assert.equal(q.queuedEvents, 4);
  release.shift()!();
  await sleep(5);
  assert.deepEqual(sent.map((s) => s.batch.items.length), [1, 4], 'the grown window went out when the slot freed');
  q.add(item(6));
  release.shift()!();
  await sleep(30);
  assert.deepEqual(sent.map((s) => s.batch.items.length), [1, 4, 1]);
  release.shift()!();
  await q.whenIdle();
});

test('concurrency bounds running sends; whenIdle waits for all', async () => {
  const { q, sent, release } = queue({ enabled: false, duration: 0, size: 1 }, { concurrency: 2, hold: true });
  for (let i = 0; i < 5; i++) q.add(item(i));
  assert.equal(q.running, 2);
  assert.equal(sent.length, 2);
  let idle = false;
  void q.whenIdle().then(() => (idle = true));
  while (release.length > 0 || sent.length < 5) {
    release.shift()?.();
    await sleep(1);
  }
  await sleep(1);
  assert.equal(idle, true);
  assert.equal(sent.length, 5);
});

test('a long queue that keeps moving (a backlog drain) is never shed', async () => {
  const shed: Batch[] = [];
  let sent = 0;
  const q = new WebhookQueue({
    app, webhook, batching: { enabled: true, duration: 10_000, size: 3 }, maxBodyBytes: 1 << 20, concurrency: 1,
    maxQueuedEvents: 5, stallMs: 200, overflow: (b) => shed.push(b),
    send: async () => {
      sent++;
      await sleep(5);
    },
  });
  for (let i = 1; i <= 30; i++) q.add(item(i));
  await q.whenIdle();
  assert.equal(shed.length, 0);
  assert.equal(sent, 10);
  q.dispose();
});

test('past maxQueuedEvents, once the oldest waited stallMs, the newest events are shed to overflow', async () => {
  const shed: Batch[] = [];
  const sent: Batch[] = [];
  const q = new WebhookQueue({
    app, webhook, batching: { enabled: true, duration: 10_000, size: 3 }, maxBodyBytes: 1 << 20, concurrency: 1,
    maxQueuedEvents: 5,
    stallMs: 30,
    overflow: (b) => shed.push(b),
    send: (b) => {
      sent.push(b);
      return new Promise<void>(() => undefined); // a hung endpoint: the one slot never frees
    },
  });
  for (let i = 1; i <= 9; i++) q.add(item(i));
  assert.equal(shed.length, 0, 'not shed before the queue has stalled');
  assert.equal(q.congested, false, 'not congested before the oldest waited stallMs');
  await sleep(50);
  assert.equal(q.congested, true, 'every slot busy and the oldest waited past stallMs');
  assert.deepEqual(shed.flatMap((b) => b.items.map((i) => i.timeMs)), [7, 8, 9], 'shed by the timer, with no new event arriving');
  for (let i = 10; i <= 12; i++) q.add(item(i));
  assert.deepEqual(sent.map((b) => b.items.map((i) => i.timeMs)), [[1, 2, 3]], 'one batch running');
  assert.ok(q.queuedEvents <= 5, `queued ${q.queuedEvents}`);
  const kept = 12 - 3 - shed.reduce((n, b) => n + b.items.length, 0);
  assert.equal(kept, q.queuedEvents, 'every event is running, queued or shed: none lost');
  const shedTimes = shed.flatMap((b) => b.items.map((i) => i.timeMs)).sort((a, b) => a - b);
  assert.deepEqual(shedTimes, [7, 8, 9, 10, 11, 12], 'the newest waiting events were shed; 4-6 (oldest) kept');
  for (let i = 13; i <= 20; i++) q.add(item(i));
  assert.deepEqual(shed.map((b) => b.items.length), [3, 3, 3, 3], 'events arriving one by one at a congested endpoint leave in full batches');
  assert.equal(q.queuedEvents, 3 + 2, 'the kept batch and the open window (19, 20)');
  q.dispose();
});

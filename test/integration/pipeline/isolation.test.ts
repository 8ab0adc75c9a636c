/**
 * Acceptance: a slow endpoint does not slow the others. One app (so one partition), two
 * webhooks for the same events: one receiver takes 5 s per request, the other answers at
 * once. The fast receiver's delivery of a fixed-rate stream is measured with the slow
 * webhook present and, as a baseline, without it, in the same process; the consumer must
 * keep its group membership (heartbeats) throughout.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { HookstreamService } from '../../../src/pipeline/service.js';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers, defer } from '../../helpers/kafka.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { createServiceTopics, testConfig, waitUntil } from '../../helpers/service.js';
import { memoryLogger, percentile, publishAtRate, type Stamped } from './support.js';

const EVENTS = 2_000;
const PER_SECOND = 250; // 8 s of stream
const CHUNK = 25;
const SLOW_MS = 5_000;

interface Run {
  /** From the first publish to the fast receiver's last event. */
  completionMs: number;
  latencyP50: number;
  latencyP95: number;
  latencyMax: number;
  /** Events the slow receiver had answered when the fast one was complete. */
  slowDoneAtCompletion: number;
  slowRequestsAtCompletion: number;
  joins: number;
  crashes: number;
  closeMs: number;
}

async function run(t: TestContext, withSlow: boolean): Promise<Run> {
  const fast = await startReceiver({ apps: { key: 'iso-key', secret: 'iso-secret' } });
  t.after(() => fast.close());
  let slow: Receiver | undefined;
  const webhooks: Record<string, unknown>[] = [{ id: 'fast', url: fast.url('/fast'), event_types: ['client_event'] }];
  if (withSlow) {
    slow = await startReceiver({ apps: { key: 'iso-key', secret: 'iso-secret' }, delayMs: SLOW_MS });
    t.after(() => slow!.close());
    webhooks.push({ id: 'slow', url: slow.url('/slow'), event_types: ['client_event'], request_timeout_ms: 30_000 });
  }
  const raw = testConfig({
    apps: [{ id: 'iso-app', key: 'iso-key', secret: 'iso-secret', webhooks }],
    delivery: { shutdown_grace_ms: 500 },
  });
  const config = await createServiceTopics(t, raw);
  const { logger, lines } = memoryLogger('info');
  const service = new HookstreamService({ config: parseConfig(raw), logger, commitIntervalMs: 200 });
  defer(t, () => service.close());
  await service.start();
  await waitUntil(() => service.ready, 30_000, 'service joined its groups');

  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-iso' });
  t.after(() => producer.close());
  // Connect before the clock starts: both runs measure the stream, not a first connection.
  await producer.publish({ app_id: 'iso-app', name: 'channel_occupied', channel: 'warm-up' });

  const inputs: PublishEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    app_id: 'iso-app',
    name: 'client_event',
    channel: `private-iso-${i % 5}`,
    event: 'client-tick',
    data: String(i),
  }));
  const { published, startedAt } = await publishAtRate(producer, inputs, { perSecond: PER_SECOND, chunk: CHUNK });
  await fast.waitFor((r) => r.events().length >= EVENTS, 30_000);
  const slowDoneAtCompletion = slow?.acceptedEvents().length ?? 0;
  const slowRequestsAtCompletion = slow?.requests.length ?? 0;

  const sentAt = new Map<string, number>(published.map((e: Stamped) => [e.id, e.time_ms]));
  const latencies: number[] = [];
  let last = 0;
  for (const r of fast.requests) {
    last = Math.max(last, r.receivedAt);
    for (const e of r.body?.events ?? []) latencies.push(r.receivedAt - sentAt.get(String(e.id))!);
  }
  assert.equal(fast.invalidCount, 0);
  assert.equal(new Set(fast.events().map((e) => e.id)).size, EVENTS, 'every event reached the fast receiver');

  const eventsTopicJoins = lines().filter(
    (l) => l.msg === 'joined consumer group' && config.kafka.topic in ((l.assignment as Record<string, unknown> | undefined) ?? {}),
  );
  const crashes = lines().filter((l) => l.msg === 'kafka consumer crashed').length;
  const closeStarted = Date.now();
  await service.close();
  const closeMs = Date.now() - closeStarted;
  return {
    closeMs,
    completionMs: last - startedAt,
    latencyP50: percentile(latencies, 50),
    latencyP95: percentile(latencies, 95),
    latencyMax: Math.max(...latencies),
    slowDoneAtCompletion,
    slowRequestsAtCompletion,
    joins: eventsTopicJoins.length,
    crashes,
  };
}

/**
 * Rounds of (baseline, with slow webhook) at most. Noise on a busy machine (a late publish,
 * a GC pause, another test's load) only ever adds time, so each setup's best round is its
 * cost; a real slowdown shows in every round, and a further round is run only while the
 * best rounds so far miss the criterion.
 */
const MAX_ROUNDS = 3;

test('a webhook that takes 5 s per request does not slow another webhook of the same app and partition', async (t) => {
  const show = (name: string, r: Run): string =>
    `${name}: fast receiver complete ${r.completionMs} ms after the first publish (${EVENTS} events at ${PER_SECOND}/s), ` +
    `latency p50 ${r.latencyP50} / p95 ${r.latencyP95} / max ${r.latencyMax} ms, group joins ${r.joins}, close took ${r.closeMs} ms`;
  const bases: Run[] = [];
  const slows: Run[] = [];
  let ratio = Infinity;
  for (let round = 1; round <= MAX_ROUNDS && ratio > 1.1; round++) {
    const base = await run(t, false);
    const withSlow = await run(t, true);
    bases.push(base);
    slows.push(withSlow);
    t.diagnostic(`round ${round}: ` + show('baseline', base));
    t.diagnostic(`round ${round}: ` + show('with slow webhook', withSlow) + `; slow receiver had ${withSlow.slowRequestsAtCompletion} requests, ${withSlow.slowDoneAtCompletion} events answered`);

    // Every round: the slow webhook really was slow and busy during the measurement ...
    assert.ok(withSlow.slowRequestsAtCompletion > 0, 'the slow receiver got requests during the run');
    assert.ok(withSlow.slowDoneAtCompletion < EVENTS, 'the slow receiver was still behind when the fast one was done');
    // ... no event waited for the slow endpoint (a head-of-line block costs its 5 s) ...
    assert.ok(withSlow.latencyMax < SLOW_MS - 1000, `max event latency ${withSlow.latencyMax} ms with the slow webhook present`);
    // ... and heartbeats kept the membership: one join, no rebalance, no crash.
    assert.equal(withSlow.joins, 1, 'no rebalance of the events group during the run');
    assert.equal(withSlow.crashes, 0);

    const best = (runs: Run[]): number => Math.min(...runs.map((r) => r.completionMs));
    ratio = best(slows) / best(bases);
    t.diagnostic(`completion ratio of the best rounds so far ${ratio.toFixed(3)}`);
  }
  // The criterion: not slowed by more than 10 %.
  assert.ok(
    ratio <= 1.1,
    `fast receiver completion ${slows.map((r) => r.completionMs).join(', ')} ms vs ${bases.map((r) => r.completionMs).join(', ')} ms baseline in ${bases.length} rounds (best-round ratio ${ratio.toFixed(3)} > 1.1)`,
  );
});

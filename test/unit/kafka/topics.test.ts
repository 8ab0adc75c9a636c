import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import { HANDOFF_OVERHEAD_BYTES, formatDelay, handoffLimitProblem, topicNames } from '../../../src/kafka/topics.js';

describe('formatDelay', () => {
  it('uses whole seconds, minutes when divisible by 60000, else milliseconds', () => {
    assert.equal(formatDelay(1000), '1s');
    assert.equal(formatDelay(16_000), '16s');
    assert.equal(formatDelay(59_000), '59s');
    assert.equal(formatDelay(60_000), '1m');
    assert.equal(formatDelay(300_000), '5m');
    assert.equal(formatDelay(90_000), '90s');
    assert.equal(formatDelay(500), '500ms');
    assert.equal(formatDelay(1500), '1500ms');
    assert.equal(formatDelay(1), '1ms');
  });

  it('refuses delays that are not positive integers', () => {
    for (const bad of [0, -1000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => formatDelay(bad), RangeError, String(bad));
    }
  });
});

describe('topicNames', () => {
  it('names the events, retry and dead-letter topics for the default delays', () => {
    const names = topicNames({ kafka: { topic: 'hookstream.events' }, retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] } });
    assert.deepEqual(names, {
      events: 'hookstream.events',
      retries: [
        { delayMs: 1000, name: 'hookstream.events.retry.1s' },
        { delayMs: 2000, name: 'hookstream.events.retry.2s' },
        { delayMs: 4000, name: 'hookstream.events.retry.4s' },
        { delayMs: 8000, name: 'hookstream.events.retry.8s' },
        { delayMs: 16000, name: 'hookstream.events.retry.16s' },
      ],
      dlq: 'hookstream.events.dlq',
    });
  });

  it('mixes units per delay and keeps the configured order', () => {
    const names = topicNames({ kafka: { topic: 't' }, retry: { delays_ms: [250, 30_000, 120_000] } });
    assert.deepEqual(
      names.retries.map((r) => r.name),
      ['t.retry.250ms', 't.retry.30s', 't.retry.2m'],
    );
  });

  it('has no retry topics without delays', () => {
    assert.deepEqual(topicNames({ kafka: { topic: 't' }, retry: { delays_ms: [] } }).retries, []);
  });

  it('refuses two delays that would share a topic', () => {
    assert.throws(
      () => topicNames({ kafka: { topic: 't' }, retry: { delays_ms: [1000, 1000] } }),
      (err: unknown) => err instanceof ConfigError && err.path === '$.retry.delays_ms[1]',
    );
  });
});

describe('handoffLimitProblem', () => {
  it('names the first retry or dead-letter topic that could not take a failed batch of max_body_bytes', () => {
    const limits = new Map([
      ['ev.retry.1s', 1_048_588],
      ['ev.dlq', 524_288],
    ]);
    assert.equal(handoffLimitProblem(256 * 1024, limits), undefined);
    assert.deepEqual(handoffLimitProblem(600 * 1024, limits), { topic: 'ev.dlq', maxMessageBytes: 524_288 });
    assert.deepEqual(handoffLimitProblem(1_048_576, limits), { topic: 'ev.retry.1s', maxMessageBytes: 1_048_588 });
    // The record head and headers need room beside the events.
    assert.deepEqual(handoffLimitProblem(524_288 - HANDOFF_OVERHEAD_BYTES + 1, new Map([['ev.dlq', 524_288]])), { topic: 'ev.dlq', maxMessageBytes: 524_288 });
    assert.equal(handoffLimitProblem(524_288 - HANDOFF_OVERHEAD_BYTES, new Map([['ev.dlq', 524_288]])), undefined);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetry, isRetryable, type FailedOutcome } from '../../../src/pipeline/retry/policy.js';
import type { FailureKind } from '../../../src/pipeline/deliver/types.js';

const DELAYS = [1_000, 2_000, 4_000, 8_000, 16_000] as const;

function failure(kind: FailureKind, statusCode?: number, retryAfterMs?: number): FailedOutcome {
  return {
    ok: false,
    kind,
    message: 'm',
    durationMs: 1,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

test('retryable failures move to the next tier with its delay', () => {
  const cases: Array<[FailedOutcome, string]> = [
    [failure('network'), 'network'],
    [failure('timeout'), 'timeout'],
    [failure('lambda_error', 500), 'lambda_error'],
    [failure('function_error', 200), 'function_error'],
    [failure('http_status', 500), '500'],
    [failure('http_status', 502), '502'],
    [failure('http_status', 503), '503'],
    [failure('http_status', 599), '599'],
    [failure('http_status', 408), '408'],
    [failure('http_status', 409), '409'],
    [failure('http_status', 425), '425'],
    [failure('http_status', 429), '429'],
  ];
  for (const [outcome, label] of cases) {
    assert.equal(isRetryable(outcome), true, label);
    assert.deepEqual(decideRetry(outcome, -1, DELAYS), { action: 'retry', tier: 0, delayMs: 1_000, progress: 0 }, `${label} after the first attempt`);
    assert.deepEqual(decideRetry(outcome, 2, DELAYS), { action: 'retry', tier: 3, delayMs: 8_000, progress: 3 }, `${label} on tier 2`);
  }
});

test('permanent failures dead-letter at once with a reason naming the cause', () => {
  const cases: Array<[FailedOutcome, string]> = [
    [failure('http_status', 400), 'http_400'],
    [failure('http_status', 401), 'http_401'],
    [failure('http_status', 403), 'http_403'],
    [failure('http_status', 404), 'http_404'],
    [failure('http_status', 410), 'http_410'],
    [failure('http_status', 413), 'http_413'],
    [failure('http_status', 422), 'http_422'],
    [failure('http_status', 301), 'redirect_301'],
    [failure('http_status', 302), 'redirect_302'],
    [failure('http_status', 307), 'redirect_307'],
    [failure('http_status', 308), 'redirect_308'],
    [failure('invalid_target'), 'invalid_target'],
    [failure('invalid_target', 404), 'invalid_target'],
    [failure('payload_too_large', 413), 'payload_too_large'],
    [failure('payload_too_large'), 'payload_too_large'],
    [failure('http_status'), 'http_unknown'],
  ];
  for (const [outcome, reason] of cases) {
    assert.equal(isRetryable(outcome), false, reason);
    for (const tier of [-1, 0, 4]) assert.deepEqual(decideRetry(outcome, tier, DELAYS), { action: 'dead_letter', reason }, `${reason} on tier ${tier}`);
  }
});

test('a Lambda payload over the Invoke quota dead-letters at once as payload_too_large, whatever the tier or Retry-After', () => {
  // The same events are sent on every retry, so every tier would be refused the same way;
  // and it is the payload, not the target, that is wrong: not invalid_target.
  for (const tier of [-1, 0, 3, 4]) {
    assert.deepEqual(decideRetry(failure('payload_too_large', 413), tier, DELAYS), { action: 'dead_letter', reason: 'payload_too_large' }, `tier ${tier}`);
  }
  assert.deepEqual(decideRetry(failure('payload_too_large', 413, 30_000), -1, DELAYS), { action: 'dead_letter', reason: 'payload_too_large' }, 'a Retry-After does not make it retryable');
  // An HTTP receiver's 413 keeps its own status reason.
  assert.deepEqual(decideRetry(failure('http_status', 413), -1, DELAYS), { action: 'dead_letter', reason: 'http_413' });
});

test('a retryable failure on the last tier is retries_exhausted', () => {
  assert.deepEqual(decideRetry(failure('timeout'), 4, DELAYS), { action: 'dead_letter', reason: 'retries_exhausted' });
  assert.deepEqual(decideRetry(failure('http_status', 503, 60_000), 4, DELAYS), { action: 'dead_letter', reason: 'retries_exhausted' });
  assert.deepEqual(decideRetry(failure('network'), -1, []), { action: 'dead_letter', reason: 'retries_exhausted' }, 'no tiers configured');
  assert.deepEqual(decideRetry(failure('network'), 3, DELAYS), { action: 'retry', tier: 4, delayMs: 16_000, progress: 4 });
});

test('Retry-After on 429/503 picks the first tier whose delay covers it, capped at the last', () => {
  const table: Array<[status: number, retryAfterMs: number, currentTier: number, tier: number]> = [
    [429, 500, -1, 0], // shorter than the next tier: the next tier
    [429, 1_000, -1, 0], // equal: the next tier
    [429, 1_001, -1, 1],
    [503, 3_000, -1, 2],
    [503, 4_000, -1, 2],
    [429, 9_000, -1, 4],
    [429, 3_600_000, -1, 4], // longer than any tier: capped at the last
    [503, 3_000, 2, 3], // never an earlier tier than the next one
    [429, 60_000, 3, 4],
  ];
  for (const [status, retryAfterMs, current, tier] of table) {
    assert.deepEqual(
      decideRetry(failure('http_status', status, retryAfterMs), current, DELAYS),
      { action: 'retry', tier, delayMs: DELAYS[tier], progress: current + 1 },
      `${status} Retry-After ${retryAfterMs} ms from tier ${current}`,
    );
  }
});

test('a receiver that keeps throttling with a long Retry-After gets every retry, each on the last tier', () => {
  // 429 with Retry-After: 60 s on every attempt: each retry waits on the last (16 s) tier,
  // and the batch is dead-lettered only after 1 + DELAYS.length attempts, like any other.
  let tier = -1;
  const waits: number[] = [];
  for (;;) {
    const decision = decideRetry(failure('http_status', 429, 60_000), tier, DELAYS);
    if (decision.action === 'dead_letter') {
      assert.equal(decision.reason, 'retries_exhausted');
      break;
    }
    waits.push(decision.delayMs);
    tier = decision.progress;
  }
  assert.deepEqual(waits, DELAYS.map(() => 16_000));
});

test('Retry-After is honoured for a throttled Lambda (429) too, but ignored on other statuses', () => {
  assert.deepEqual(decideRetry(failure('lambda_error', 429, 5_000), -1, DELAYS), { action: 'retry', tier: 3, delayMs: 8_000, progress: 0 });
  assert.deepEqual(decideRetry(failure('http_status', 500, 10_000), -1, DELAYS), { action: 'retry', tier: 0, delayMs: 1_000, progress: 0 });
  assert.deepEqual(decideRetry(failure('http_status', 502, 10_000), 0, DELAYS), { action: 'retry', tier: 1, delayMs: 2_000, progress: 1 });
});

test('decideRetry is pure: the same input gives the same decision and the input is untouched', () => {
  const outcome = failure('http_status', 429, 3_000);
  const copy = structuredClone(outcome);
  const delays = [...DELAYS];
  const a = decideRetry(outcome, -1, delays);
  const b = decideRetry(outcome, -1, delays);
  assert.deepEqual(a, b);
  assert.deepEqual(outcome, copy);
  assert.deepEqual(delays, [...DELAYS]);
});

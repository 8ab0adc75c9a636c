import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../../src/pipeline/retry/circuit-breaker.js';

test('opens after N consecutive failures, probes once after the cooldown', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
  cb.failure();
  cb.failure();
  cb.success();
  cb.failure();
  cb.failure();
  assert.equal(cb.state, 'closed', 'a success resets the count');
  cb.failure();
  assert.equal(cb.state, 'open');
  assert.equal(cb.allow(), false);
  now = 999;
  assert.equal(cb.allow(), false);
  now = 1000;
  assert.equal(cb.state, 'half_open');
  assert.equal(cb.allow(), true, 'one probe');
  assert.equal(cb.allow(), false, 'only one probe at a time');
  cb.failure();
  assert.equal(cb.state, 'open', 'a failed probe re-opens');
  now = 2000;
  assert.equal(cb.allow(), true);
  cb.success();
  assert.equal(cb.state, 'closed');
  assert.equal(cb.allow(), true);
});

test('remainingMs tells how long an open circuit stays open', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 1, cooldownMs: 1000, now: () => now });
  assert.equal(cb.remainingMs(), 0);
  cb.failure();
  now = 300;
  assert.equal(cb.remainingMs(), 700);
  now = 1000;
  assert.equal(cb.remainingMs(), 0);
});

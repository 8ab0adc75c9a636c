import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../../src/pipeline/retry/circuit-breaker.js';

test('opens after N consecutive failures, probes once after the cooldown', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
  cb.failure('attempt');
  cb.failure('attempt');
  cb.success('attempt');
  cb.failure('attempt');
  cb.failure('attempt');
  assert.equal(cb.state, 'closed', 'a success resets the count');
  cb.failure('attempt');
  assert.equal(cb.state, 'open');
  assert.equal(cb.allow(), undefined);
  now = 999;
  assert.equal(cb.allow(), undefined);
  now = 1000;
  assert.equal(cb.state, 'half_open');
  assert.equal(cb.allow(), 'probe', 'one probe');
  assert.equal(cb.allow(), undefined, 'only one probe at a time');
  cb.failure('probe');
  assert.equal(cb.state, 'open', 'a failed probe re-opens');
  now = 2000;
  assert.equal(cb.allow(), 'probe');
  cb.success('probe');
  assert.equal(cb.state, 'closed');
  assert.equal(cb.allow(), 'attempt');
});

test('remainingMs tells how long an open circuit stays open', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 1, cooldownMs: 1000, now: () => now });
  assert.equal(cb.remainingMs(), 0);
  cb.failure('attempt');
  now = 300;
  assert.equal(cb.remainingMs(), 700);
  now = 1000;
  assert.equal(cb.remainingMs(), 0);
});

test('late failures of attempts started before the circuit opened neither extend the cooldown nor decide the probe', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 2, cooldownMs: 1000, now: () => now });
  // Four attempts run at once; two fail and open the circuit.
  for (let i = 0; i < 4; i++) assert.equal(cb.allow(), 'attempt');
  cb.failure('attempt');
  cb.failure('attempt');
  assert.equal(cb.state, 'open');
  now = 600;
  cb.failure('attempt'); // the third, late
  assert.equal(cb.remainingMs(), 400, 'the cooldown still counts from the opening');
  now = 1000;
  assert.equal(cb.allow(), 'probe');
  cb.failure('attempt'); // the fourth, later still: not the probe's answer
  assert.equal(cb.state, 'half_open');
  assert.equal(cb.allow(), undefined, 'the probe is still out');
  cb.success('probe');
  assert.equal(cb.state, 'closed');
});

test('a late success closes the circuit (the endpoint answered); a probe that fails after it does not reopen it', () => {
  let now = 0;
  const cb = new CircuitBreaker({ failures: 1, cooldownMs: 1000, now: () => now });
  cb.allow();
  cb.allow();
  cb.failure('attempt');
  assert.equal(cb.state, 'open');
  now = 1000;
  assert.equal(cb.allow(), 'probe');
  cb.success('attempt'); // the second early attempt finally answered 200
  assert.equal(cb.state, 'closed');
  cb.failure('probe');
  assert.equal(cb.state, 'open', 'with failures: 1 an ordinary failure opens it again');
  const cb2 = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
  cb2.failure('attempt');
  cb2.failure('attempt');
  cb2.failure('attempt');
  now = 2000;
  assert.equal(cb2.allow(), 'probe');
  cb2.success('attempt');
  cb2.failure('probe');
  assert.equal(cb2.state, 'closed', 'one failure after a success does not reach 3');
});

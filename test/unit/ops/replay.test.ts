import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlan, parseIsoDateTime, parseIsoDuration } from '../../../src/ops/replay.js';
import { formatLag } from '../../../src/ops/lag.js';

test('ISO 8601 durations', () => {
  assert.equal(parseIsoDuration('PT30M'), 30 * 60_000);
  assert.equal(parseIsoDuration('PT1H'), 3_600_000);
  assert.equal(parseIsoDuration('P1DT2H'), 26 * 3_600_000);
  assert.equal(parseIsoDuration('PT1.5S'), 1500);
  assert.equal(parseIsoDuration('P2W'), 14 * 86_400_000);
  for (const bad of ['P', 'PT', '1H', 'P1M', 'P1Y', 'PT-1H', 'hour']) assert.throws(() => parseIsoDuration(bad), /ISO 8601 duration/, bad);
});

test('date-times need a zone', () => {
  assert.equal(parseIsoDateTime('2026-11-28T10:00:00Z', '--x'), Date.UTC(2026, 10, 28, 10));
  assert.equal(parseIsoDateTime('2026-11-28T12:00:00+02:00', '--x'), Date.UTC(2026, 10, 28, 10));
  assert.throws(() => parseIsoDateTime('2026-11-28T10:00:00', '--x'), /time zone/);
  assert.throws(() => parseIsoDateTime('yesterday', '--x'), /not an ISO 8601/);
});

test('date-times: only ISO 8601 forms, never local time, never a rolled-over date', () => {
  assert.equal(parseIsoDateTime('2026-11-28', '--x'), Date.UTC(2026, 10, 28), 'a date alone is midnight UTC');
  assert.equal(parseIsoDateTime('2026-11-28T10:00Z', '--x'), Date.UTC(2026, 10, 28, 10));
  assert.equal(parseIsoDateTime('2026-11-28T10:00:00.250Z', '--x'), Date.UTC(2026, 10, 28, 10, 0, 0, 250));
  assert.equal(parseIsoDateTime('2026-11-28T12:00:00+0200', '--x'), Date.UTC(2026, 10, 28, 10), 'an offset without a colon');
  assert.equal(parseIsoDateTime('2024-02-29T00:00:00Z', '--x'), Date.UTC(2024, 1, 29), 'a leap day');
  // What Date.parse would take as local time, or roll over.
  for (const bad of ['2026-11-28 10:00:00', '2026-11-28t10:00:00Z', 'Nov 28 2026 10:00', '2026-11-28T10:00:00 UTC', '28.11.2026']) {
    assert.throws(() => parseIsoDateTime(bad, '--x'), /not an ISO 8601/, bad);
  }
  for (const bad of ['2026-02-30T00:00:00Z', '2025-02-29', '2026-13-01', '2026-11-28T24:00:00Z', '2026-11-28T10:60:00Z', '2026-11-28T10:00:00+25:00']) {
    assert.throws(() => parseIsoDateTime(bad, '--x'), /not a valid date or time/, bad);
  }
});

test('plan and lag tables show every partition and a total', () => {
  const plan = formatPlan('t', 'g', [
    { partition: 0, current: 10, target: 4, redeliver: 6, skip: 0 },
    { partition: 1, current: null, target: 0, redeliver: 0, skip: 0 },
    { partition: 2, current: 3, target: 5, redeliver: 0, skip: 2 },
  ]);
  assert.match(plan, /^PARTITION\s+CURRENT\s+NEW\s+REDELIVER\s+SKIP$/m);
  assert.match(plan, /^\s+0\s+10\s+4\s+6\s+0$/m);
  assert.match(plan, /^\s+1\s+-\s+0\s+0\s+0$/m);
  assert.match(plan, /^\s+2\s+3\s+5\s+0\s+2$/m);
  assert.match(plan, /^\s+total\s+6\s+2$/m);
  const lag = formatLag([
    { topic: 'a', group: 'g', partition: 0, committed: 5, end: 9, lag: 4 },
    { topic: 'a', group: 'g', partition: 1, committed: null, end: 3, lag: 3 },
    { topic: 'b', group: 'g2', partition: 0, committed: 1, end: 1, lag: 0 },
  ]);
  assert.match(lag, /^a \(total\)\s+7$/m);
  assert.match(lag, /^b \(total\)\s+0$/m);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseWholeNumber } from '../../../src/cli/common.js';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' } });

test('whole numbers on the command line: digits only, never "" read as 0', () => {
  assert.equal(parseWholeNumber('0', '--x'), 0);
  assert.equal(parseWholeNumber(' 12 ', '--x'), 12);
  for (const bad of ['', ' ', '-1', '1.5', '1e3', '0x10', 'abc', '99999999999999999999']) {
    assert.throws(() => parseWholeNumber(bad, '--x'), /--x: .* is not a whole number >= 0/, JSON.stringify(bad));
  }
});

test('usage mistakes exit 2 with one line in every command, before any broker is contacted', () => {
  const cases: [string[], RegExp][] = [
    [['replay', '--to-dat', 'X'], /hookstream replay: Unknown option '--to-dat'/],
    [['replay', '--to-offset', '', '--partitions', '0'], /--to-offset: "" is not a whole number/],
    [['replay', '--to-datetime', '2026-11-28 10:00:00'], /--to-datetime: .* is not an ISO 8601/],
    [['lag', '--nope'], /hookstream lag: Unknown option '--nope'/],
    [['redeliver', '--app', 'a', '--from', '2026-11-28T10:00:00Z', '--to', '2026-11-28T09:00:00Z'], /--to must be later than --from/],
    [['dlq', 'list', '--limit', ''], /--limit must be a whole number/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  }
});

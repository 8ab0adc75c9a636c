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

test('usage mistakes exit 2 in every command, before any broker is contacted', () => {
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

test('a missing or unknown subcommand or option: exit 2, on stderr, with that command\'s usage, for every command', () => {
  const cases: [string[], RegExp, RegExp][] = [
    [[], /^hookstream: give a command\n/, /^Usage: hookstream <command> \[options\]$/m],
    [['kafka'], /^hookstream kafka: expected a subcommand: start, stop or status\n/, /^Usage: hookstream kafka <start\|stop\|status>/m],
    [['kafka', 'bogus'], /^hookstream kafka: unknown subcommand "bogus"\n/, /^Usage: hookstream kafka <start\|stop\|status>/m],
    [['topics'], /^hookstream topics: expected the subcommand "create"\n/, /^Usage: hookstream topics create/m],
    [['redeliver', '--app', 'a'], /^hookstream redeliver: --app, --from and --to are required\n/, /^Usage: hookstream redeliver/m],
    [['replay'], /^hookstream replay: give exactly one of --to-datetime/, /^Usage: hookstream replay/m],
    // No --config and no HOOKSTREAM_CONFIG: a usage mistake too (the fix is on the command line).
    [['lag'], /^hookstream lag: no config file: pass --config FILE or set HOOKSTREAM_CONFIG\n/, /^Usage: hookstream lag/m],
    [['start'], /^hookstream start: no config file: pass --config FILE or set HOOKSTREAM_CONFIG\n/, /^Usage: hookstream start/m],
  ];
  const unknownOption: [string[], string][] = [
    [['start'], 'start'],
    [['lag'], 'lag'],
    [['replay'], 'replay'],
    [['redeliver'], 'redeliver'],
    [['config', 'check'], 'config check'],
    [['topics', 'create'], 'topics create'],
    [['dlq', 'list'], 'dlq list'],
    [['produce'], 'produce'],
    [['demo'], 'demo'],
    [['kafka', 'status'], 'kafka <start|stop|status>'],
  ];
  for (const [args, usage] of unknownOption) {
    cases.push([[...args, '--bogus'], new RegExp(`^hookstream ${args[0]}: Unknown option '--bogus'\\n\\n`), new RegExp(`^Usage: hookstream ${usage.replace(/[|<>]/g, '\\$&')}`, 'm')]);
  }
  // Every case is checked and every miss listed, so one run shows all that is off.
  const misses: string[] = [];
  for (const [args, message, usage] of cases) {
    const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', HOOKSTREAM_CONFIG: '' } });
    const problems = [
      r.status === 2 ? undefined : `exit ${r.status}`,
      r.stdout === '' ? undefined : 'output on stdout',
      message.test(r.stderr) ? undefined : `not ${message}`,
      usage.test(r.stderr) ? undefined : 'no usage',
      /To specify a positional argument/.test(r.stderr) ? 'Node\'s advice on "--", no use here' : undefined,
      /\n\s+at /.test(r.stderr) ? 'a stack trace' : undefined,
    ].filter((p) => p !== undefined);
    if (problems.length > 0) misses.push(`hookstream ${args.join(' ')}: ${problems.join('; ')}\n${r.stderr}`);
  }
  assert.deepEqual(misses, []);
});

test('help: "hookstream help CMD" is CMD --help; the global help names --version', () => {
  const help = run('help', 'start');
  assert.equal(help.status, 0);
  assert.equal(help.stdout, run('start', '--help').stdout);
  assert.match(help.stdout, /^Usage: hookstream start/);
  const global = run('--help');
  assert.equal(global.status, 0);
  assert.match(global.stdout, /hookstream --version/);
  assert.match(run('--version').stdout, /^\d+\.\d+\.\d+/);
});

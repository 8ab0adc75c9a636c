import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { run } from '../../../src/cli/dlq.js';

/** Argument handling only: every case here is refused before any config or broker is touched. */
async function dlq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => new Writable({ write: (c: Buffer, _e, cb) => (into.push(c.toString()), cb()) });
  const code = await run(args, { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('--help prints the usage of both subcommands', async () => {
  const r = await dlq(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /hookstream dlq list/);
  assert.match(r.stdout, /hookstream dlq requeue/);
});

test('a missing or unknown subcommand is a usage error', async () => {
  for (const args of [[], ['purge'], ['list', 'extra']]) {
    const r = await dlq(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /expected "list" or "requeue"/);
  }
});

test('options of the other subcommand are refused, not ignored', async () => {
  const list = await dlq(['list', '--execute']);
  assert.equal(list.code, 2);
  assert.match(list.stderr, /--execute is not an option of "dlq list"/);
  const requeue = await dlq(['requeue', '--json', '--limit', '5']);
  assert.equal(requeue.code, 2);
  assert.match(requeue.stderr, /--limit, --json is not an option of "dlq requeue"/);
});

test('bad values are refused with the flag named', async () => {
  for (const limit of ['-1', '1.5', 'ten']) {
    const r = await dlq(['list', `--limit=${limit}`]);
    assert.equal(r.code, 2, limit);
    assert.match(r.stderr, /--limit must be a whole number/);
  }
  await assert.rejects(dlq(['requeue', '--since', 'yesterday']), /--since: "yesterday" is not an ISO 8601 date or date-time/);
  await assert.rejects(dlq(['requeue', '--since', '2026-01-01T10:00:00']), /--since: .* has no time zone/);
  const unknown = await dlq(['list', '--verbose']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /verbose/);
});

test('requeue refuses an --app that is not in the config (a typo would rewrite every entry)', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'dlq-cli-'));
  try {
    const file = join(dir, 'config.json');
    // No broker at this address: the refusal must come before any connection.
    await writeFile(file, JSON.stringify({ kafka: { brokers: ['127.0.0.1:1'] }, app_manager: { array: { apps: [{ id: 'app1', key: 'k', secret: 's', webhooks: [] }] } } }));
    const r = await dlq(['requeue', '--config', file, '--app', 'app_1', '--execute']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--app "app_1" is not an app of the config/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('requeue refuses a --reason hookstream never writes (a typo would select nothing and rewrite every entry)', async () => {
  const r = await dlq(['requeue', '--reason', 'retries-exhausted', '--execute']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--reason "retries-exhausted" is not a reason hookstream writes/);
});

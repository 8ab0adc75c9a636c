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

// Usage mistakes are thrown (main says them, exit 2): UsageError for a wrong shape, which
// main prints with the usage; a plain HS_USAGE error for a bad value.
const usageError = (message: RegExp) => (err: Error & { code?: string }) => err.name === 'UsageError' && message.test(err.message);
const badValue = (message: RegExp) => (err: Error & { code?: string }) => err.code === 'HS_USAGE' && err.name !== 'UsageError' && message.test(err.message);

test('a missing or unknown subcommand is a usage error', async () => {
  for (const args of [[], ['purge'], ['list', 'extra']]) {
    await assert.rejects(dlq(args), usageError(/expected "list" or "requeue"/), args.join(' '));
  }
});

test('options of the other subcommand are refused, not ignored', async () => {
  await assert.rejects(dlq(['list', '--execute']), usageError(/--execute is not an option of "dlq list"/));
  await assert.rejects(dlq(['requeue', '--json', '--limit', '5']), usageError(/--limit, --json is not an option of "dlq requeue"/));
});

test('bad values are refused with the flag named', async () => {
  for (const limit of ['-1', '1.5', 'ten']) {
    await assert.rejects(dlq(['list', `--limit=${limit}`]), badValue(/--limit must be a whole number/), limit);
  }
  await assert.rejects(dlq(['requeue', '--since', 'yesterday']), /--since: "yesterday" is not an ISO 8601 date or date-time/);
  await assert.rejects(dlq(['requeue', '--since', '2026-01-01T10:00:00']), /--since: .* has no time zone/);
  await assert.rejects(dlq(['list', '--verbose']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
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
    await assert.rejects(dlq(['requeue', '--config', file, '--app', 'app_1', '--execute']), badValue(/--app "app_1" is not an app of the config/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('requeue refuses a --reason hookstream never writes (a typo would select nothing and rewrite every entry)', async () => {
  await assert.rejects(dlq(['requeue', '--reason', 'retries-exhausted', '--execute']), badValue(/--reason "retries-exhausted" is not a reason hookstream writes/));
});

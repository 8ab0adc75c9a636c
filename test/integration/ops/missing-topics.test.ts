import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToExit, tempDir } from '../../helpers/io.js';
import { uniqueName } from '../../helpers/kafka.js';
import { createServiceTopics, testConfig } from '../../helpers/service.js';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const apps = [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['client_event'] }] }];

// A delay added to retry.delays_ms without "topics create" (its tier topic is missing), and
// a config whose topics were never created: every command that reads them must say so in
// one line and exit, not retry against the missing topic and hang.
test('ops commands on missing topics exit 1 at once with the topics create hint', async (t) => {
  const raw = testConfig({ apps, retry: { delays_ms: [1000] } });
  await createServiceTopics(t, raw);
  const kafka = raw.kafka as { topic: string };
  const dir = await tempDir(t, 'hs-missing-topics-');
  const tierMissing = join(dir, 'tier-missing.json');
  await writeFile(tierMissing, JSON.stringify({ ...raw, retry: { delays_ms: [1000, 3000] } }));
  const noneCreated = join(dir, 'none-created.json');
  await writeFile(noneCreated, JSON.stringify({ ...raw, kafka: { ...kafka, topic: uniqueName('never-created') } }));

  const tier = `${kafka.topic}.retry.3s`;
  const range = ['--app', 'a', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z'];
  const cases: { args: string[]; missing: RegExp }[] = [
    { args: ['lag', '--config', tierMissing], missing: new RegExp(`missing topics ${tier.replaceAll('.', '\\.')}: `) },
    { args: ['redeliver', '--config', tierMissing, ...range], missing: new RegExp(`missing topics ${tier.replaceAll('.', '\\.')}: `) },
    { args: ['replay', '--config', tierMissing, '--topic', tier, '--to-earliest'], missing: new RegExp(`missing topics ${tier.replaceAll('.', '\\.')}: `) },
    { args: ['lag', '--config', noneCreated], missing: /missing topics never-created-/ },
    { args: ['redeliver', '--config', noneCreated, ...range], missing: /missing topics never-created-/ },
    { args: ['dlq', 'list', '--config', noneCreated], missing: /missing topics never-created-.*\.dlq: / },
  ];
  const started = Date.now();
  const results = await Promise.all(cases.map((c) => runToExit(t, [main, ...c.args], 20_000)));
  for (const [i, r] of results.entries()) {
    const what = cases[i]!.args.slice(0, 2).join(' ');
    assert.equal(r.code, 1, `${what}: exit ${r.code} (null: still running after 20 s), stderr ${r.stderr}`);
    assert.match(r.stderr, cases[i]!.missing, what);
    assert.match(r.stderr, /: create them with "hookstream topics create --config FILE"\n$/, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, no stack:\n${r.stderr}`);
  }
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
});

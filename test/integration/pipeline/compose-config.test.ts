import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { run as produce } from '../../../src/cli/produce.js';
import { run as topics } from '../../../src/cli/topics.js';
import { parseConfig } from '../../../src/config/index.js';
import { topicNames } from '../../../src/kafka/topics.js';
import { PACKAGE_ROOT } from '../../../src/version.js';
import { capture, tempDir } from '../../helpers/io.js';
import { brokers, defer, uniqueName, withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { startService } from '../../helpers/service.js';

/**
 * What `docker compose up` runs, without Docker: docker/config.json (its broker, topic,
 * group and receiver host swapped for this test's), `hookstream topics create`, the
 * service, and `hookstream produce` of docker/events.ndjson, as the compose file's
 * comments tell a user to. The receiver checks signatures with the demo app's secret.
 */
test('the compose stack\'s config and sample events: topics create, start, produce, and every webhook gets what it selects, signed', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'demo-key', secret: 'demo-secret' } });
  t.after(() => receiver.close());
  const text = readFileSync(join(PACKAGE_ROOT, 'docker', 'config.json'), 'utf8').replaceAll('http://receiver:3000', receiver.url('').replace(/\/$/, ''));
  const raw = JSON.parse(text) as { kafka: Record<string, unknown>; metrics: Record<string, unknown> };
  raw.kafka = { ...raw.kafka, brokers: brokers(), topic: uniqueName('compose'), group_id: uniqueName('compose-group'), partitions: 3 };
  raw.metrics = { ...raw.metrics, host: '127.0.0.1', port: 0 };
  const names = topicNames(parseConfig(raw));
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics: [names.events, ...names.retries.map((r) => r.name), names.dlq] })).catch(() => undefined));
  const file = join(await tempDir(t, 'hs-compose-'), 'config.json');
  await writeFile(file, JSON.stringify(raw));

  const out = capture();
  const err = capture();
  assert.equal(await topics(['create', '--config', file], { stdout: out.stream, stderr: err.stream }), 0, err.text());
  assert.match(out.text(), /^7 created, 0 already existed$/m);
  await startService(t, raw);
  const events = join(PACKAGE_ROOT, 'docker', 'events.ndjson');
  const lines = readFileSync(events, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const produced = capture();
  const produceErr = capture();
  const code = await produce(['--config', file, '--file', events], { stdin: Readable.from([]), stdout: produced.stream, stderr: produceErr.stream });
  assert.equal(code, 0, produceErr.text());

  // all-events selects every one of them; presence only member_* on presence channels.
  const presence = lines.map((l) => JSON.parse(l) as { name: string; channel?: string }).filter((e) => e.name.startsWith('member_') && e.channel?.startsWith('presence-'));
  assert.ok(presence.length > 0);
  await receiver.waitFor((r) => r.acceptedEvents().length >= lines.length + presence.length, 20_000);
  const byPath = (path: string) => receiver.requests.filter((r) => r.path === path).flatMap((r) => r.body?.events ?? []).map((e) => e.name);
  // Sorted: two batches to one endpoint may overlap (concurrency_per_endpoint 8).
  assert.deepEqual(byPath('/webhooks').sort(), lines.map((l) => (JSON.parse(l) as { name: string }).name).sort());
  assert.deepEqual(byPath('/webhooks/presence').sort(), presence.map((e) => e.name).sort());
  assert.equal(receiver.invalidCount, 0, 'every request verifies with the demo app\'s secret');
});

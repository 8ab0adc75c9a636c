import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runToExit } from '../../helpers/io.js';
import { createServiceTopics, testConfig } from '../../helpers/service.js';
import { writeConfigFile } from '../retry/support.js';

test('start refuses a max_body_bytes that the retry and dead-letter topics could not take, naming both settings', async (t) => {
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['channel_occupied'] }] }] });
  // Topics as created, with the broker's default max.message.bytes (1 MiB).
  await createServiceTopics(t, raw);
  const file = await writeConfigFile(t, { ...raw, delivery: { ...(raw.delivery as object), max_body_bytes: 2 * 1024 * 1024 } });
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  // A start that does not refuse would run on: it is stopped after 30 s and the test fails.
  const { code, stdout, stderr } = await runToExit(t, [main, 'start', '--config', file]);
  assert.equal(code, 1, `stderr: ${stderr}\nstdout: ${stdout}`);
  assert.match(stderr, /delivery\.max_body_bytes 2097152 is too large for topic \S+\.retry\.1s \(max\.message\.bytes \d+\)/);
  assert.match(stderr, /raise the topic's max\.message\.bytes/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServiceTopics, testConfig } from '../../helpers/service.js';
import { writeConfigFile } from '../retry/support.js';

test('start refuses a max_body_bytes that the retry and dead-letter topics could not take, naming both settings', async (t) => {
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['channel_occupied'] }] }] });
  // Topics as created, with the broker's default max.message.bytes (1 MiB).
  await createServiceTopics(t, raw);
  const file = await writeConfigFile(t, { ...raw, delivery: { ...(raw.delivery as object), max_body_bytes: 2 * 1024 * 1024 } });
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'start', '--config', file], { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A start that does not refuse would run on: stop it and fail instead of waiting forever.
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running after 30 s');
    }, 30_000);
    child.once('exit', (c, signal) => {
      clearTimeout(timer);
      resolve(c ?? signal ?? -1);
    });
  });
  assert.equal(code, 1, `stderr: ${stderr}\nstdout: ${stdout}`);
  assert.match(stderr, /delivery\.max_body_bytes 2097152 is too large for topic \S+\.retry\.1s \(max\.message\.bytes \d+\)/);
  assert.match(stderr, /raise the topic's max\.message\.bytes/);
});

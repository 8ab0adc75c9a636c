import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runToExit } from '../../helpers/io.js';
import { createServiceTopics, testConfig } from '../../helpers/service.js';
import { writeConfigFile } from '../retry/support.js';

test('start on a metrics port in use names metrics.port and exits 1 without a stack', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as AddressInfo).port;
  const raw = testConfig({ apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/h', event_types: ['channel_occupied'] }] }] });
  await createServiceTopics(t, raw);
  const file = await writeConfigFile(t, { ...raw, metrics: { enabled: true, host: '127.0.0.1', port } });
  const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
  const { code, stdout, stderr } = await runToExit(t, [main, 'start', '--config', file]);
  assert.equal(code, 1, `stderr: ${stderr}\nstdout: ${stdout}`);
  assert.equal(stderr, `hookstream start: metrics.port ${port}: 127.0.0.1:${port} is already in use (another hookstream instance?); set metrics.port to a free port, or metrics.enabled to false\n`);
});

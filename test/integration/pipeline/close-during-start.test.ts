import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runToExit } from '../../helpers/io.js';
import { uniqueName, withAdmin } from '../../helpers/kafka.js';
import { createServiceTopics, startService, testConfig, waitUntilAsync } from '../../helpers/service.js';

/**
 * SIGTERM can arrive while the service is still starting: its hand-off producers
 * connecting, its consumers joining the group (slow when the group has members already,
 * as in a rolling deploy). close() then has to stop what start() is still making. Before,
 * kafkajs treated the join that the disconnect cut short as a crash and restarted the
 * consumer 300 ms later, and a producer connect that the disconnect interrupted connected
 * after all: close() resolved, but the process never exited, and the restarted member
 * held its partitions without committing.
 *
 * Each child below starts a service in a group that already has a member (this process),
 * calls close() after a delay without awaiting start(), and then just returns: it exits
 * by itself only if nothing it opened is left running.
 */
test('a close() during start stops the starting consumers and producers: the process exits and leaves the group', async (t) => {
  const apps = [{ id: 'app', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:9/hook', event_types: ['channel_occupied'] }] }];
  const topics = testConfig({ apps, partitions: 2 });
  await createServiceTopics(t, topics);
  const topic = (topics.kafka as { topic: string }).topic;

  const service = new URL('../../../src/pipeline/service.js', import.meta.url).href;
  const config = new URL('../../../src/config/index.js', import.meta.url).href;
  const logger = new URL('../../../src/observability/logger.js', import.meta.url).href;
  // 0 ms: during the producers' connect; 300 ms and 1.5 s: during the group joins. A group
  // of its own for each: a child stopped mid-join leaves a member the broker waits for
  // until its session times out (30 s), which would slow the next child's join.
  for (const delayMs of [0, 300, 1500]) {
    const group = uniqueName('group');
    const raw = testConfig({ apps, partitions: 2, topic, group });
    // The member already in the group: the child's join takes a rebalance.
    await startService(t, raw);
    const script = `
      const { HookstreamService } = await import(${JSON.stringify(service)});
      const { parseConfig } = await import(${JSON.stringify(config)});
      const { createLogger } = await import(${JSON.stringify(logger)});
      const s = new HookstreamService({ config: parseConfig(${JSON.stringify(raw)}), logger: createLogger() });
      const started = s.start().then(() => 'started', (err) => 'start failed: ' + err.message);
      setTimeout(async () => {
        await s.close();
        console.log('CLOSED');
        console.log('START ' + (await started));
      }, ${delayMs});
    `;
    const { code, stdout, stderr } = await runToExit(t, ['--input-type=module', '-e', script], 40_000);
    assert.match(stdout, /CLOSED/, `close() after ${delayMs} ms did not resolve; stdout: ${stdout} stderr: ${stderr}`);
    assert.notEqual(code, null, `close() after ${delayMs} ms resolved, but the process was still running 40 s after start (something it opened was left running); stdout: ${stdout}`);
    assert.equal(code, 0, `close() after ${delayMs} ms: exit code; stderr: ${stderr}`);
    // What is left in the group is the member of this process: the child's consumer did
    // not survive its close().
    await waitUntilAsync(
      async () => {
        const { groups } = await withAdmin((admin) => admin.describeGroups([group]));
        return groups[0]?.members.length === 1;
      },
      30_000,
      `only this process is a member of the group after the child that closed at ${delayMs} ms`,
    );
  }
});

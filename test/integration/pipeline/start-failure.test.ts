import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runToExit } from '../../helpers/io.js';
import { brokers, uniqueName } from '../../helpers/kafka.js';

/**
 * A service whose start fails part-way must not stay half-alive: its metrics server (with
 * /healthz answering 200) and producers would keep the process running forever, and an
 * orchestrator would never restart it. The child below starts a service on a topic that
 * does not exist (the sender connects, the consumer's subscribe fails) and then just
 * returns: it can only exit if start() closed everything it had opened.
 */
test('a start that fails part-way closes what it opened: the error is thrown and the process exits by itself', async (t) => {
  const service = new URL('../../../src/pipeline/service.js', import.meta.url).href;
  const config = new URL('../../../src/config/index.js', import.meta.url).href;
  const logger = new URL('../../../src/observability/logger.js', import.meta.url).href;
  const script = `
    const { HookstreamService } = await import(${JSON.stringify(service)});
    const { parseConfig } = await import(${JSON.stringify(config)});
    const { createLogger } = await import(${JSON.stringify(logger)});
    const config = parseConfig({ kafka: { brokers: ${JSON.stringify(brokers())}, group_id: ${JSON.stringify(uniqueName('group'))}, topic: ${JSON.stringify(uniqueName('missing-topic'))} }, metrics: { port: 0 }, app_manager: { array: { apps: [] } } });
    const s = new HookstreamService({ config, logger: createLogger() });
    // Up once the health server is: the port is printed so the parent can see it close.
    const t = setInterval(() => { if (s.metricsPort) { console.log('METRICS ' + s.metricsPort); clearInterval(t); } }, 1);
    try {
      await s.start();
      console.log('STARTED');
    } catch (err) {
      clearInterval(t);
      console.log('START FAILED ' + err.message);
      process.exitCode = 3;
    }
  `;
  const { code, stdout, stderr } = await runToExit(t, ['--input-type=module', '-e', script]);
  assert.notEqual(code, null, `the process did not exit within 30 s after start() failed (it kept running half-started); stdout: ${stdout} stderr: ${stderr}`);
  assert.match(stdout, /METRICS \d+/, 'the metrics server had started before the failure');
  assert.match(stdout, /START FAILED/);
  assert.doesNotMatch(stdout, /STARTED/);
  assert.equal(code, 3, stderr);
});

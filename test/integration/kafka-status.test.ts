import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/kafka/local/index.js';
import { runToExit, tempDir } from '../helpers/io.js';
import { brokers } from '../helpers/kafka.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('kafka status from a dir with no broker of its own: says a broker answers at --port (exit 0), or that none does (exit 3)', async (t) => {
  const dir = await tempDir(t, 'hs-kafka-status-');
  const free = await freePort();
  const none = await runToExit(t, [main, 'kafka', 'status', '--dir', dir, '--port', String(free)]);
  assert.equal(none.code, 3, none.stdout + none.stderr);
  assert.match(none.stdout, new RegExp(`nothing answers at 127\\.0\\.0\\.1:${free}; start it with: hookstream kafka start --port ${free} --dir `));

  // The other half needs a broker on this machine (status looks on 127.0.0.1 only): the test
  // broker is, unless KAFKA_BROKERS names a remote one, which leaves this half out.
  const [host, port] = brokers()[0]!.split(':');
  if (host !== '127.0.0.1' && host !== 'localhost') return;
  const answers = await runToExit(t, [main, 'kafka', 'status', '--dir', dir, '--port', port!]);
  assert.equal(answers.code, 0, answers.stdout + answers.stderr);
  assert.match(answers.stdout, new RegExp(`^A Kafka broker answers at 127\\.0\\.0\\.1:${port}, but none runs from dir ${dir}: it was started elsewhere`));
  assert.doesNotMatch(answers.stdout, /start it with/, 'no advice to start a second broker on a port in use');
});

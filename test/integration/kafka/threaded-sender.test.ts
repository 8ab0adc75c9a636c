import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/observability/logger.js';
import { kafkaErrorType } from '../../../src/kafka/acked-sender.js';
import { ThreadedSender } from '../../../src/kafka/threaded-sender.js';
import { brokers, createTopics, uniqueName } from '../../helpers/kafka.js';
import { readTopic } from '../retry/support.js';
import { assertRespawnBackoff } from '../../helpers/threads.js';

const silent = createLogger({ level: 'silent' });

test('records sent through the hand-off thread arrive as sent: key, value and headers; a value not owned stays usable', async (t) => {
  const topic = uniqueName('threaded-sender');
  await createTopics(t, [topic], 2);
  const sender = new ThreadedSender({ brokers: brokers(), clientId: uniqueName('ts'), logger: silent });
  t.after(() => sender.close());
  await sender.connect();

  const big = Buffer.alloc(64 * 1024, 0x61); // a whole ArrayBuffer of its own: transferred
  const shared = Buffer.from('not owned, stays with the caller');
  await Promise.all([
    sender.send({ topic, key: 'app-1', value: big, owned: true, headers: { 'hookstream-delivery-id': 'd-1' } }),
    sender.send({ topic, key: Buffer.from('app-2'), value: shared, headers: { bin: Buffer.from([0, 1, 2]) } }),
  ]);
  assert.equal(shared.toString(), 'not owned, stays with the caller');

  const reader = await readTopic(t, topic);
  await reader.waitFor((r) => r.length === 2, 15_000, 'both records');
  const byKey = new Map(reader.records.map((r) => [r.message.key!.toString(), r]));
  assert.ok(byKey.get('app-1')!.message.value!.equals(Buffer.alloc(64 * 1024, 0x61)));
  assert.equal(byKey.get('app-1')!.headers['hookstream-delivery-id'], 'd-1');
  assert.equal(byKey.get('app-2')!.message.value!.toString(), 'not owned, stays with the caller');
  assert.deepEqual([...(byKey.get('app-2')!.message.headers!.bin as Buffer)], [0, 1, 2]);
});

test('when the hand-off thread dies, its unacknowledged sends reject (to be tried again) and a new thread takes the next ones', async (t) => {
  const topic = uniqueName('threaded-sender-crash');
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
  const sender = new ThreadedSender({ brokers: brokers(), clientId: uniqueName('ts'), logger });
  t.after(() => sender.close());
  await sender.connect();

  // The topic does not exist yet, so the broker cannot acknowledge this record: the thread's
  // producer waits for the topic's metadata (kafkajs gives up only after ~9 s of retries).
  // 100 ms lets the thread take the send; then it dies with the send unacknowledged.
  const inFlight = sender.send({ topic, key: 'a', value: Buffer.from('never acknowledged') });
  await sleep(100);
  await sender.terminateThread();
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    inFlight.then(() => 'acked', (err: Error) => err.message),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still pending 5 s after the thread died'), 5_000))),
  ]);
  clearTimeout(timer);
  assert.match(first, /hand-off thread exited/);

  await createTopics(t, [topic], 1);
  await sender.send({ topic, key: 'a', value: Buffer.from('after') });
  const reader = await readTopic(t, topic);
  await reader.waitFor((r) => r.some((x) => x.message.value!.toString() === 'after'), 15_000, 'the record sent after the restart');
  assert.deepEqual(
    reader.records.map((r) => r.message.value!.toString()),
    ['after'],
    'the record of the dead thread was never written',
  );
  assert.ok(lines.some((l) => l.includes('starting a new one')));
});

test('a hand-off thread that dies on every start is restarted a handful of times a second, not in a tight loop; sends meanwhile fail at once', { timeout: 15_000 }, async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream });
  // A thread script that throws as it loads, as one whose compression library cannot load would.
  const workerUrl = new URL('data:text/javascript,throw new Error("hand-off thread cannot start")');
  const sender = new ThreadedSender({ brokers: brokers(), clientId: uniqueName('ts'), logger, workerUrl });
  t.after(() => sender.close().catch(() => undefined));
  const exits = (): number => lines.filter((l) => l.includes('hand-off thread exited')).length;

  await assertRespawnBackoff(t, {
    attempt: async () => {
      const result = await sender.send({ topic: 'unused', key: 'a', value: Buffer.from('x') }).then(() => 'sent', (err: Error) => err.message);
      return /hand-off thread (exited|is restarting)/.test(result);
    },
    exits,
    close: () => sender.close(),
  });
});

test('a send the broker refuses rejects with the broker\'s error type, across the thread', async (t) => {
  const topic = uniqueName('threaded-sender-refused');
  await createTopics(t, [topic], 1, { 'max.message.bytes': '2000' });
  const sender = new ThreadedSender({ brokers: brokers(), clientId: uniqueName('ts'), logger: silent });
  t.after(() => sender.close());
  await sender.connect();
  // Random bytes: hand-offs are LZ4-compressed, and a run of one byte would shrink under the limit.
  const err = await sender.send({ topic, key: 'app', value: randomBytes(5000) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error, 'the send is refused');
  assert.equal(kafkaErrorType(err), 'MESSAGE_TOO_LARGE');
});

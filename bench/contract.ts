// Micro-benchmark of the event contract's hot paths: encode (producer) and decode (consumer,
// once per Kafka record), the latter both for the current writer and for a v1 writer that
// needs schema resolution. Run: npm run build && node dist/bench/contract.js
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SchemaRegistry,
  SingleObjectCodec,
  decodeEvent,
  defaultSchemasDir,
  encodeEvent,
  type AvroSchema,
  type WebhookEvent,
} from '../src/contract/index.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);

const event: WebhookEvent = {
  id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a05',
  app_id: '1864312',
  name: 'client_event',
  channel: 'presence-lobby',
  event: 'client-typing',
  data: '{"text":"hello there","len":11}',
  socket_id: '131207.4413617',
  user_id: 'user-1729',
  subscription_count: null,
  time_ms: 1732812345678,
  node_id: 'ws-2',
};

// Reports ops per wall-clock second and per CPU second: the latter is steadier on a shared machine.
function measure(label: string, fn: () => unknown): void {
  let sink: unknown;
  for (let i = 0; i < 100_000; i++) sink = fn(); // warm-up: let the JIT settle
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10_000; i++) sink = fn();
    ops += 10_000;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  const wall = (ops * 1e9) / Number(now - start);
  const perCpu = (ops * 1e6) / (cpu.user + cpu.system);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(11);
  process.stdout.write(`${label.padEnd(34)} ${fmt(wall)} ops/s wall ${fmt(perCpu)} ops/s cpu${sink === undefined ? ' (no result?)' : ''}\n`);
}

const current = encodeEvent(event);
const v1Schema = JSON.parse(readFileSync(join(defaultSchemasDir(), 'versions', 'webhook-event.v1.avsc'), 'utf8')) as AvroSchema;
const v1Event = Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'node_id')) as Omit<WebhookEvent, 'node_id'>;
const fromV1 = new SingleObjectCodec<Omit<WebhookEvent, 'node_id'>>(new SchemaRegistry('webhook-event', v1Schema)).encode(v1Event);

process.stdout.write(`node ${process.version}, event of ${current.length} bytes\n`);
measure('encodeEvent', () => encodeEvent(event));
measure('decodeEvent (current writer)', () => decodeEvent(current));
measure('decodeEvent (v1 writer, resolved)', () => decodeEvent(fromV1));
measure('JSON.parse (same event as JSON)', ((json: string) => () => JSON.parse(json))(JSON.stringify(event)));

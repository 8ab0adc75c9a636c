/**
 * End-to-end benchmarks of the delivery pipeline (Kafka → hookstream → HTTP receivers).
 * A benchmark, not a test: it prints results and asserts nothing.
 *
 *   npm run bench                                   # every case; starts a local broker, stops it after
 *   node dist/bench/pipeline.js --case a,e          # some cases (or BENCH_CASES=a,e)
 *   KAFKA_BROKERS=host:9092 node dist/bench/pipeline.js
 *
 * Cases:
 *   a  throughput: drain a pre-filled backlog through one in-process service (100 apps, one
 *      webhook each, batching 50 ms / 100) vs a bare kafkajs consumer that only decodes
 *   b  event-to-receipt latency at a steady stream (producer library), batching 50 ms
 *   c  the same stream with batching off
 *   d  peak RSS of `hookstream start` (a child process) draining a large backlog
 *   e  isolation: one app with a healthy, a never-answering and an always-500 webhook vs
 *      the healthy one alone, same backlog
 *
 * Receivers run in a worker thread (support/receiver-worker.ts) and answer 200 at once;
 * the latency cases publish from another worker (support/publisher-worker.ts). The service
 * logs at `warn` to a file (its path is printed), so failures cost what they cost in
 * production without flooding the terminal.
 *
 * Env: BENCH_EVENTS (300000, case a), BENCH_ROUNDS (2, case a), BENCH_RATE (2000, b/c),
 * BENCH_SECONDS (30, b/c), BENCH_RSS_EVENTS (1000000, d), BENCH_ISO_EVENTS (200000, e),
 * BENCH_PARTITIONS (12).
 * Experiments (the documented figures use none of them): BENCH_DELIVERY (JSON overrides of
 * the config's `delivery` section, cases a, d, e), BENCH_CHILD_NODE_OPTIONS (NODE_OPTIONS of
 * the case-d child), BENCH_MEM_PROBE=1 (the case-d child logs its heap breakdown to its log),
 * BENCH_D_TOPIC (case d drains this already filled topic), BENCH_MARKS=1 (prints monotonic
 * µs at the service's start and end, to cut a `node --cpu-prof` profile to that stretch).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Admin, Kafka } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { decodeEvent } from '../src/contract/index.js';
import { createKafka } from '../src/kafka/client.js';
import { KAFKA_VERSION, freePort, start, stop } from '../src/kafka/local/index.js';
import { ensureTopics, topicNames } from '../src/kafka/topics.js';
import { HookstreamService } from '../src/pipeline/service.js';
import { CountingReceiver, startFailingEndpoint, startHangingEndpoint, type ReceiverStats } from './support/receiver.js';
import { appIds, fillBacklog, fmt, machine, percentile, rawConfig, serviceConfig, sleep, type ServiceConfigInput } from './support/workload.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RSS_EVENTS = Number(process.env.BENCH_RSS_EVENTS ?? 1_000_000);
const ISO_EVENTS = Number(process.env.BENCH_ISO_EVENTS ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const APPS = 100;
/** For experiments: `delivery` overrides as JSON, e.g. BENCH_DELIVERY='{"max_in_flight_events":100000}'. */
const DELIVERY = process.env.BENCH_DELIVERY ? (JSON.parse(process.env.BENCH_DELIVERY) as Record<string, unknown>) : undefined;
const WARMUP_MS = 3000;
const BATCHING = { enabled: true, duration: 50, size: 100 };
const CASES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
type Case = (typeof CASES)[number];

interface Ctx {
  brokers: string[];
  kafka: Kafka;
  admin: Admin;
  suffix: string;
  logger: Logger;
  logPath: string;
  tmp: string;
}

/**
 * With BENCH_MARKS=1, prints the monotonic clock in µs (the clock of `node --cpu-prof`
 * profiles) at points of interest, so a profile can be cut to the service's stretch.
 */
function mark(name: string): void {
  if (process.env.BENCH_MARKS === '1') process.stderr.write(`MARK ${name} ${process.hrtime.bigint() / 1000n}\n`);
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function progress(line: string): void {
  process.stderr.write(`  .. ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { case: { type: 'string', short: 'c' } }, strict: true });
  const wanted = (values.case ?? process.env.BENCH_CASES ?? CASES.join(','))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  for (const c of wanted) if (!(CASES as readonly string[]).includes(c)) throw new Error(`unknown case "${c}" (known: ${CASES.join(', ')})`);

  const tmp = await mkdtemp(join(tmpdir(), 'hookstream-bench-pipeline-'));
  let brokers = process.env.KAFKA_BROKERS;
  let localDir: string | undefined;
  let kafkaDesc = 'external broker (KAFKA_BROKERS)';
  if (!brokers) {
    localDir = join(tmp, 'kafka');
    const port = await freePort();
    process.stderr.write(`KAFKA_BROKERS unset: starting a local broker on port ${port}...\n`);
    const started = await start({ port, dir: localDir, onProgress: (m) => process.stderr.write(`${m}\n`) });
    brokers = started.brokers;
    kafkaDesc = `Kafka ${KAFKA_VERSION} local broker (single node, KRaft)`;
  }
  const logPath = join(tmpdir(), `hookstream-bench-pipeline-${process.pid}.log`);
  const logger = pino({ name: 'hookstream', level: 'warn' }, pino.destination({ dest: logPath, sync: false }));
  const brokerList = brokers.split(',');
  const kafka = createKafka({ brokers: brokerList, clientId: 'bench-pipeline', logger });
  const admin = kafka.admin();
  await admin.connect();
  const ctx: Ctx = { brokers: brokerList, kafka, admin, suffix: `${Date.now()}-${process.pid}`, logger, logPath, tmp };
  out(`machine: ${machine(kafkaDesc)}`);
  if (DELIVERY) out(`EXPERIMENT: delivery overrides ${JSON.stringify(DELIVERY)} (not the defaults)`);
  out(`service log (warn and above): ${logPath}`);
  try {
    for (const c of wanted as Case[]) {
      out('');
      const t0 = Date.now();
      await RUN[c](ctx);
      progress(`case ${c} took ${fmt((Date.now() - t0) / 1000, 1)} s`);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    logger.flush();
    if (localDir) await stop({ dir: localDir }).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

const RUN: Record<Case, (ctx: Ctx) => Promise<void>> = { a: caseA, b: (ctx) => caseLatency(ctx, 'b'), c: (ctx) => caseLatency(ctx, 'c'), d: caseD, e: caseE, f: caseF };

// ---- helpers --------------------------------------------------------------------------

async function createTopics(ctx: Ctx, topic: string): Promise<void> {
  const config = { kafka: { topic, partitions: PARTITIONS, replication_factor: 1 }, retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] } };
  // kafkajs' waitForLeaders can see UNKNOWN_TOPIC_OR_PARTITION before a fresh topic's metadata
  // has spread; ensureTopics is idempotent, so asking again is safe.
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(ctx.admin, config);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(500 * attempt);
    }
  }
}

async function deleteTopics(ctx: Ctx, topic: string): Promise<void> {
  const names = topicNames({ kafka: { topic }, retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] } });
  await ctx.admin.deleteTopics({ topics: [names.events, ...names.retries.map((r) => r.name), names.dlq] }).catch(() => undefined);
}

async function fill(ctx: Ctx, topic: string, count: number, apps: readonly string[]): Promise<number> {
  const t0 = Date.now();
  const avg = await fillBacklog(ctx.kafka, topic, count, apps, (n) => progress(`backlog ${fmt(n)} / ${fmt(count)}`));
  progress(`backlog of ${fmt(count)} events (avg value ${fmt(avg)} B) written in ${fmt((Date.now() - t0) / 1000, 1)} s`);
  return avg;
}

/**
 * CPU time over a stretch: of this process (all threads), of its main thread (where the
 * service or the bare consumer runs; from /proc, 10 ms resolution) and of the machine.
 * CPU seconds per event do not depend on what else the machine runs; events/s do.
 */
class CpuMeter {
  readonly #proc = process.cpuUsage();
  readonly #main = mainThreadCpuSeconds();
  readonly #sys = systemTicks();
  readonly #t0 = Date.now();
  read(): { processCores: number; mainCpuSeconds: number; machineBusy: number } {
    const wall = (Date.now() - this.#t0) / 1000;
    const p = process.cpuUsage(this.#proc);
    const s = systemTicks();
    const busy = s.busy - this.#sys.busy;
    const total = s.total - this.#sys.total;
    return {
      processCores: (p.user + p.system) / 1e6 / wall,
      mainCpuSeconds: mainThreadCpuSeconds() - this.#main,
      machineBusy: total > 0 ? busy / total : Number.NaN,
    };
  }
}

/** utime + stime of this process's main thread (its task id is the pid), in seconds. */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), counted after "pid (comm)": indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function systemTicks(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function cpuText(c: { processCores: number; machineBusy: number }, who: string): string {
  return `${who} used ${fmt(c.processCores, 2)} cores, machine ${fmt(c.machineBusy * 100)}% busy`;
}

async function waitReady(service: HookstreamService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!service.ready) {
    if (Date.now() > deadline) throw new Error('service did not join its groups in time');
    await sleep(50);
  }
}

/** Polls the receiver every `everyMs` until stopped; returns the longest stretch without a new event. */
function watchProgress(receiver: CountingReceiver, everyMs: number): { stop: () => Promise<{ longestStallMs: number; timeline: [number, number][] }> } {
  const t0 = Date.now();
  const timeline: [number, number][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await receiver.stats();
      timeline.push([Date.now() - t0, s.unique]);
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      let longest = 0;
      let since = 0;
      for (let i = 1; i < timeline.length; i++) {
        if (timeline[i]![1] > timeline[i - 1]![1]) since = timeline[i]![0];
        else longest = Math.max(longest, timeline[i]![0] - since);
      }
      return { longestStallMs: longest, timeline };
    },
  };
}

// ---- (a) throughput -------------------------------------------------------------------

async function caseA(ctx: Ctx): Promise<void> {
  out(`(a) throughput: ${fmt(EVENTS)}-event backlog, ${PARTITIONS} partitions, ${APPS} apps x 1 webhook, batching ${BATCHING.duration} ms / ${BATCHING.size}`);
  const apps = appIds(APPS);
  const receiver = await CountingReceiver.start();
  const topic = `bench.pipeline.a.${ctx.suffix}`;
  await createTopics(ctx, topic);
  try {
    const avg = await fill(ctx, topic, EVENTS, apps);
    const base = {
      brokers: ctx.brokers,
      topic,
      apps: apps.map((id) => ({ id, webhooks: [{ id: 'hook', url: receiver.url(`/hook/${id}`) }] })),
      batching: BATCHING,
      ...(DELIVERY ? { delivery: DELIVERY } : {}),
    };
    const bare: number[] = [];
    const svc: number[] = [];
    const bareCost: number[] = [];
    const svcCost: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await bareConsume(ctx, topic, EVENTS, `bench-bare-${ctx.suffix}-${round}`);
      const s = await serviceDrain(ctx, receiver, { ...base, groupId: `bench-svc-${ctx.suffix}-${round}` }, EVENTS);
      bare.push(b.rate);
      svc.push(s.rate);
      const bUs = (b.cpu.mainCpuSeconds / EVENTS) * 1e6;
      const sUs = (s.cpu.mainCpuSeconds / EVENTS) * 1e6;
      bareCost.push(bUs);
      svcCost.push(sUs);
      out(`  round ${round}:`);
      out(`    bare kafkajs consumer + decodeEvent: ${fmt(b.rate)} events/s (${fmt(b.seconds, 2)} s), ${fmt(bUs, 1)} µs CPU/event on its thread; ${cpuText(b.cpu, 'process')}`);
      out(
        `    hookstream: ${fmt(s.rate)} events/s (${fmt(s.seconds, 2)} s from start(), first webhook after ${fmt(s.firstMs)} ms), ${fmt(sUs, 1)} µs CPU/event on the service thread (busy ${fmt(s.elu * 100)}%); ` +
          `${fmt(s.stats.requests)} requests (${fmt(s.stats.events / s.stats.requests, 1)} events each), ${s.stats.duplicates} duplicates; ` +
          `in flight mean ${fmt(s.inFlight.mean)} of ${fmt(s.inFlight.limit)}, consumer waited for room ${fmt(s.inFlight.waitedShare * 100)}% of the time; ` +
          `${cpuText(s.cpu, 'process (service + receiver thread)')}`,
      );
      out(`    ratio ${fmt(s.rate / b.rate, 2)} by events/s, ${fmt(bUs / sUs, 2)} by CPU per event`);
    }
    const bBest = Math.max(...bare);
    const sBest = Math.max(...svc);
    const costRatio = Math.min(...bareCost) / Math.min(...svcCost);
    out(`  avg encoded event ${fmt(avg)} B`);
    out(
      `RESULT (a) end-to-end ${fmt(sBest)} events/s vs bare consumer ${fmt(bBest)} events/s (best of ${ROUNDS}): ratio ${fmt(sBest / bBest, 2)} (goal >= 0.80) ${sBest / bBest >= 0.8 ? 'MET' : 'MISSED'}; ` +
        `CPU per event ${fmt(Math.min(...svcCost), 1)} vs ${fmt(Math.min(...bareCost), 1)} µs (ratio ${fmt(costRatio, 2)})`,
    );
  } finally {
    await receiver.close();
    await deleteTopics(ctx, topic);
  }
}

async function bareConsume(ctx: Ctx, topic: string, n: number, groupId: string): Promise<{ rate: number; seconds: number; cpu: ReturnType<CpuMeter['read']> }> {
  const consumer = ctx.kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const cpu = new CpuMeter();
  const t0 = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let decodedBytes = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          decodedBytes += decodeEvent(m.value!).data?.length ?? 0;
          count++;
        }
        if (count >= n) resolve(Date.now());
      },
    });
  });
  const at = await done;
  const usage = cpu.read();
  await consumer.disconnect();
  if (decodedBytes === 0) throw new Error('decoded nothing');
  const seconds = (at - t0) / 1000;
  return { rate: n / seconds, seconds, cpu: usage };
}

async function serviceDrain(
  ctx: Ctx,
  receiver: CountingReceiver,
  input: ServiceConfigInput,
  n: number,
): Promise<{
  rate: number;
  seconds: number;
  firstMs: number;
  stats: ReceiverStats;
  cpu: ReturnType<CpuMeter['read']>;
  inFlight: { mean: number; limit: number; waitedShare: number };
  /** Event-loop utilisation of the service's (main) thread. */
  elu: number;
}> {
  await receiver.reset();
  const service = new HookstreamService({ config: serviceConfig(input), logger: ctx.logger });
  const done = receiver.waitForUnique(n, 600_000);
  const cpu = new CpuMeter();
  const t0 = Date.now();
  // How much of the drain the consumer waited for room (in-flight events at the limit).
  const limit = serviceConfig(input).delivery.max_in_flight_events;
  let polls = 0;
  let sum = 0;
  const poller = setInterval(() => {
    polls++;
    sum += service.inFlightEvents;
  }, 5);
  const elu0 = performance.eventLoopUtilization();
  mark('service-start');
  try {
    await service.start();
    const r = await done;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    mark('service-done');
    clearInterval(poller);
    const usage = cpu.read();
    const seconds = (r.at - t0) / 1000;
    const waited = (await service.metrics.backpressure.get()).values.find((v) => v.labels.consumer === 'events')?.value ?? 0;
    const inFlight = { mean: polls ? sum / polls : 0, limit, waitedShare: waited / seconds };
    return { rate: n / seconds, seconds, firstMs: r.firstAt - t0, stats: r, cpu: usage, inFlight, elu };
  } finally {
    clearInterval(poller);
    await service.close();
  }
}

// ---- (b), (c) latency -----------------------------------------------------------------

interface SteadyResult {
  published: { published: number; acked: number; failed: number };
  received: number;
  samples: number;
  evRate: number;
  reqRate: number;
  usage: ReturnType<CpuMeter['read']>;
  latency: { p50: number; p90: number; p99: number; p999: number; max: number };
}

/**
 * A steady stream of RATE events/s from the producer library (another thread) for SECONDS,
 * after a warm-up, through one service instance; the counting receiver measures what its
 * webhooks (`/hook/<app>`) get. `extraWebhooks` adds other webhooks to every app.
 */
async function steadyStream(
  ctx: Ctx,
  name: string,
  apps: readonly string[],
  receiver: CountingReceiver,
  batching: typeof BATCHING,
  extraWebhooks: { id: string; url: string }[] = [],
): Promise<SteadyResult> {
  const topic = `bench.pipeline.${name}.${ctx.suffix}`;
  await createTopics(ctx, topic);
  await receiver.reset();
  const service = new HookstreamService({
    config: serviceConfig({
      brokers: ctx.brokers,
      topic,
      groupId: `bench-${name}-${ctx.suffix}`,
      apps: apps.map((id) => ({ id, webhooks: [{ id: 'hook', url: receiver.url(`/hook/${id}`) }, ...extraWebhooks] })),
      batching,
    }),
    logger: ctx.logger,
  });
  try {
    await service.start();
    await waitReady(service, 60_000);
    const startAt = Date.now() + 1000;
    const measureFrom = startAt + WARMUP_MS;
    const endAt = measureFrom + SECONDS * 1000;
    await receiver.recordLatency(measureFrom, endAt);
    const publisher = new Worker(new URL('./support/publisher-worker.js', import.meta.url), {
      workerData: { brokers: ctx.brokers, topic, apps, rate: RATE, startAt, endAt },
    });
    const published = new Promise<{ published: number; acked: number; failed: number }>((resolve, reject) => {
      publisher.once('message', resolve);
      publisher.once('error', reject);
    });
    await sleep(measureFrom - Date.now());
    const s1 = await receiver.stats();
    const t1 = Date.now();
    const cpu = new CpuMeter();
    await sleep(endAt - Date.now());
    const s2 = await receiver.stats();
    const t2 = Date.now();
    const usage = cpu.read();
    const p = await published;
    await publisher.terminate();
    // Everything published (plus the publisher's one connect event) has arrived.
    const final = await receiver.waitForUnique(p.acked + 1, 30_000).catch(async (err: unknown) => {
      progress(String(err));
      return { ...(await receiver.stats()), at: Date.now() };
    });
    const samples = (await receiver.latencies()).sort();
    const secs = (t2 - t1) / 1000;
    const [p50, p90, p99, p999, max] = [50, 90, 99, 99.9, 100].map((q) => percentile(samples, q)) as [number, number, number, number, number];
    return {
      published: p,
      received: final.unique,
      samples: samples.length,
      evRate: (s2.events - s1.events) / secs,
      reqRate: (s2.requests - s1.requests) / secs,
      usage,
      latency: { p50, p90, p99, p999, max },
    };
  } finally {
    await service.close();
    await deleteTopics(ctx, topic);
  }
}

async function caseLatency(ctx: Ctx, which: 'b' | 'c'): Promise<void> {
  const batching = which === 'b' ? BATCHING : { ...BATCHING, enabled: false };
  const label = which === 'b' ? `batching ${batching.duration} ms / ${batching.size}` : 'batching off (one event per request)';
  out(`(${which}) latency: steady ${fmt(RATE)} events/s from the producer library for ${SECONDS} s (after ${WARMUP_MS / 1000} s warm-up), ${APPS} apps, ${label}`);
  const receiver = await CountingReceiver.start();
  try {
    const r = await steadyStream(ctx, which, appIds(APPS), receiver, batching);
    out(
      `  published ${fmt(r.published.published)} (acked ${fmt(r.published.acked)}, failed ${r.published.failed}); received ${fmt(r.received)}; ${fmt(r.samples)} latency samples; ` +
        `${fmt(r.evRate)} events/s, ${fmt(r.reqRate)} requests/s (${fmt(r.evRate / r.reqRate, 2)} events/request); ${cpuText(r.usage, 'process (service + receiver + publisher threads)')}`,
    );
    const { p50, p90, p99, p999, max } = r.latency;
    out(`  latency ms: p50 ${fmt(p50)}, p90 ${fmt(p90)}, p99 ${fmt(p99)}, p99.9 ${fmt(p999)}, max ${fmt(max)}`);
    if (which === 'b') {
      out(`RESULT (b) batching on: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms at ${fmt(RATE)} events/s (goal p99 <= 100 ms) ${p99 <= 100 ? 'MET' : 'MISSED'}`);
    } else {
      out(`RESULT (c) batching off: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms, ${fmt(r.reqRate)} requests/s at ${fmt(RATE)} events/s`);
    }
  } finally {
    await receiver.close();
  }
}

/**
 * (f) Isolation at a steady load below saturation: the same stream as (b) to one app, its
 * healthy webhook alone, then with a never-answering and an always-500 webhook beside it.
 */
async function caseF(ctx: Ctx): Promise<void> {
  out(`(f) isolation at a steady ${fmt(RATE)} events/s for ${SECONDS} s, one app: healthy webhook alone vs healthy + never-answering + always-500 webhooks (default config)`);
  const receiver = await CountingReceiver.start();
  const hanging = await startHangingEndpoint();
  const failing = await startFailingEndpoint(500);
  try {
    const alone = await steadyStream(ctx, 'f-alone', ['iso-app'], receiver, BATCHING);
    out(`  healthy alone:      ${fmt(alone.evRate)} events/s delivered, p50 ${fmt(alone.latency.p50)} ms, p99 ${fmt(alone.latency.p99)} ms, received ${fmt(alone.received)} of ${fmt(alone.published.acked)}`);
    const bad = await steadyStream(ctx, 'f-bad', ['iso-app'], receiver, BATCHING, [
      { id: 'hang', url: hanging.url('/hook') },
      { id: 'fail', url: failing.url('/hook') },
    ]);
    out(`  with bad endpoints: ${fmt(bad.evRate)} events/s delivered, p50 ${fmt(bad.latency.p50)} ms, p99 ${fmt(bad.latency.p99)} ms, received ${fmt(bad.received)} of ${fmt(bad.published.acked)}`);
    const ratio = bad.evRate / alone.evRate;
    out(`RESULT (f) healthy endpoint at a steady load: ${fmt(bad.evRate)} events/s with the bad ones vs ${fmt(alone.evRate)} alone: ratio ${fmt(ratio, 2)} (goal >= 0.90) ${ratio >= 0.9 ? 'MET' : 'MISSED'}`);
  } finally {
    await receiver.close();
    await hanging.close();
    await failing.close();
  }
}

// ---- (d) memory -----------------------------------------------------------------------

function procStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

async function caseD(ctx: Ctx): Promise<void> {
  out(`(d) memory: \`hookstream start\` as a child process draining a ${fmt(RSS_EVENTS)}-event backlog, ${APPS} apps, default config (batching ${BATCHING.duration} ms / ${BATCHING.size})`);
  const apps = appIds(APPS);
  const receiver = await CountingReceiver.start();
  // BENCH_D_TOPIC: reuse a topic that already holds the backlog (experiments); kept afterwards.
  const reuse = process.env.BENCH_D_TOPIC;
  const topic = reuse ?? `bench.pipeline.d.${ctx.suffix}`;
  await createTopics(ctx, topic);
  try {
    if (!reuse) await fill(ctx, topic, RSS_EVENTS, apps);
    const configPath = join(ctx.tmp, 'config-d.json');
    const raw = rawConfig({
      brokers: ctx.brokers,
      topic,
      groupId: `bench-d-${ctx.suffix}`,
      apps: apps.map((id) => ({ id, webhooks: [{ id: 'hook', url: receiver.url(`/hook/${id}`) }] })),
      batching: BATCHING,
      metricsPort: 0,
      ...(DELIVERY ? { delivery: DELIVERY } : {}),
    });
    await writeFile(configPath, JSON.stringify(raw, null, 2));
    const mainJs = new URL('../src/cli/main.js', import.meta.url).pathname;
    const childLog = join(tmpdir(), `hookstream-bench-pipeline-${process.pid}-child.log`);
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(childLog, 'w');
    const t0 = Date.now();
    const child = spawn(process.execPath, [mainJs, 'start', '--config', configPath], {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: ctx.brokers.join(','),
        NODE_OPTIONS: [
          process.env.BENCH_CHILD_NODE_OPTIONS ?? '',
          process.env.BENCH_MEM_PROBE === '1' ? `--import ${new URL('./support/memory-probe.js', import.meta.url).href}` : '',
        ]
          .join(' ')
          .trim(),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pid = child.pid!;
    let maxRss = 0;
    let idleRss = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      const s = procStatus(pid);
      if (!s) return;
      samples++;
      maxRss = Math.max(maxRss, s.rss);
    }, 100);
    const cpu = new CpuMeter();
    let r: ReceiverStats & { at: number };
    try {
      const first = receiver.waitForUnique(1, 120_000);
      const early = await Promise.race([first.then(() => 'events' as const), exited.then(() => 'exit' as const)]);
      if (early === 'exit') throw new Error(`hookstream start exited early; see ${childLog}`);
      idleRss = procStatus(pid)?.rss ?? 0;
      r = await receiver.waitForUnique(RSS_EVENTS, 900_000);
    } finally {
      clearInterval(sampler);
    }
    const usage = cpu.read();
    const status = procStatus(pid);
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killTimer);
    const drain = (r.at - t0) / 1000;
    const mb = (b: number): string => fmt(b / 2 ** 20);
    out(
      `  drained ${fmt(RSS_EVENTS)} events in ${fmt(drain, 1)} s from spawn (${fmt(RSS_EVENTS / drain)} events/s), ${fmt(r.requests)} requests, ${r.duplicates} duplicates; ` +
        `RSS when the first webhook arrived ${mb(idleRss)} MB; max sampled VmRSS ${mb(maxRss)} MB (${samples} samples, 100 ms); ${cpuText(usage, 'bench process (receiver)')}`,
    );
    const peak = status?.hwm ?? maxRss;
    out(`RESULT (d) peak RSS (VmHWM) ${mb(peak)} MB while draining ${fmt(RSS_EVENTS)} events in ${fmt(drain, 1)} s (goal <= 300 MB) ${peak <= 300 * 2 ** 20 ? 'MET' : 'MISSED'}`);
    out(`  child log: ${childLog}`);
  } finally {
    await receiver.close();
    if (!reuse) await deleteTopics(ctx, topic);
  }
}

// ---- (e) isolation --------------------------------------------------------------------

async function caseE(ctx: Ctx): Promise<void> {
  out(
    `(e) isolation: one app, ${fmt(ISO_EVENTS)}-event backlog; healthy webhook alone vs healthy + never-answering + always-500 webhooks ` +
      `(defaults: request_timeout_ms 10000, circuit breaker 5 failures / 30000 ms, retry delays 1,2,4,8,16 s, max_in_flight_events 10000, max_queued_per_endpoint 5000, concurrency 8)`,
  );
  const app = 'iso-app';
  const receiver = await CountingReceiver.start();
  const hanging = await startHangingEndpoint();
  const failing = await startFailingEndpoint(500);
  const topic = `bench.pipeline.e.${ctx.suffix}`;
  await createTopics(ctx, topic);
  const healthy = { id: 'healthy', url: receiver.url('/hook') };
  const base = { brokers: ctx.brokers, topic, batching: BATCHING, ...(DELIVERY ? { delivery: DELIVERY } : {}) };
  try {
    await fill(ctx, topic, ISO_EVENTS, [app]);
    // Alone first: the run with bad webhooks leaves records on the shared retry topics.
    const alone = await isoRun(ctx, receiver, { ...base, groupId: `bench-e-alone-${ctx.suffix}`, apps: [{ id: app, webhooks: [healthy] }] });
    out(`  healthy alone:      ${fmt(alone.rate)} events/s (${fmt(alone.seconds, 2)} s, longest stall ${fmt(alone.stallMs)} ms); ${alone.cpu}`);
    const bad = await isoRun(
      ctx,
      receiver,
      {
        ...base,
        groupId: `bench-e-bad-${ctx.suffix}`,
        apps: [{ id: app, webhooks: [healthy, { id: 'hang', url: hanging.url('/hook') }, { id: 'fail', url: failing.url('/hook') }] }],
      },
      async () => {
        // Let close() finish promptly: the hung requests fail now instead of at their timeout.
        await hanging.close();
      },
    );
    out(
      `  with bad endpoints: ${fmt(bad.rate)} events/s (${fmt(bad.seconds, 2)} s, longest stall ${fmt(bad.stallMs)} ms); ` +
        `never-answering endpoint got ${hanging.requests} requests on ${hanging.connections} connections, always-500 endpoint ${failing.requests} requests`,
    );
    out(`  with bad endpoints: ${bad.cpu}`);
    out(`  service metrics (with bad endpoints): ${bad.metrics}`);
    out(`  healthy progress with bad endpoints (s: events): ${bad.timeline}`);
    const ratio = bad.rate / alone.rate;
    out(`RESULT (e) healthy endpoint ${fmt(bad.rate)} events/s with the bad ones vs ${fmt(alone.rate)} alone: ratio ${fmt(ratio, 2)} (goal >= 0.90) ${ratio >= 0.9 ? 'MET' : 'MISSED'}`);
  } finally {
    await receiver.close();
    await hanging.close();
    await failing.close();
    await deleteTopics(ctx, topic);
  }
}

async function isoRun(
  ctx: Ctx,
  receiver: CountingReceiver,
  input: ServiceConfigInput,
  beforeClose?: () => Promise<void>,
): Promise<{ rate: number; seconds: number; stallMs: number; timeline: string; metrics: string; cpu: string }> {
  await receiver.reset();
  const service = new HookstreamService({ config: serviceConfig(input), logger: ctx.logger });
  const done = receiver.waitForUnique(ISO_EVENTS, 300_000);
  const watch = watchProgress(receiver, 250);
  const t0 = Date.now();
  const cpu = new CpuMeter();
  let usage: ReturnType<CpuMeter['read']> | undefined;
  let r: (ReceiverStats & { at: number }) | undefined;
  let failure: unknown;
  try {
    mark('service-start');
    await service.start();
    r = await done;
    usage = cpu.read();
    mark('service-done');
  } catch (err) {
    failure = err;
  }
  const w = await watch.stop();
  let metrics = '';
  try {
    const m = service.metrics;
    const val = async (metric: { get: () => Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }): Promise<string> =>
      (await metric.get()).values.map((v) => `${Object.values(v.labels).join('/') || 'total'}=${v.value}`).join(' ');
    metrics = [
      `deliveries[${await val(m.deliveries)}]`,
      `retries[${await val(m.retries)}]`,
      `deferred[${await val(m.deferred)}]`,
      `dead_lettered[${await val(m.deadLettered)}]`,
      `circuit[${await val(m.circuitState)}]`,
      `backpressure_seconds[${await val(m.backpressure)}]`,
    ].join(' ');
  } catch {
    metrics = '(unavailable)';
  }
  await beforeClose?.();
  await service.close();
  const stats = r ?? { ...(await receiver.stats()), at: Date.now() };
  const seconds = (stats.at - t0) / 1000;
  if (failure) progress(`run did not finish: ${String(failure)}`);
  // One point per elapsed second.
  const perSecond: [number, number][] = [];
  for (const point of w.timeline) if (point[0] >= perSecond.length * 1000) perSecond.push(point);
  const timeline = perSecond.map(([ms, n]) => `${fmt(ms / 1000)}:${fmt(n)}`).join(' ');
  const cpuLine = usage ? `${cpuText(usage, 'process (service threads + receiver)')}; main thread busy ${fmt((usage.mainCpuSeconds / seconds) * 100)}%, ${fmt((usage.mainCpuSeconds / ISO_EVENTS) * 1e6, 1)} µs CPU per event` : '';
  return { rate: stats.unique / seconds, seconds, stallMs: w.longestStallMs, timeline, metrics, cpu: cpuLine };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * Running hookstream in integration tests: a config on the test's own topics and group,
 * the service in this process (`startService`) or as a real child process that can be
 * SIGKILLed (`spawnService`), and publishing through the producer library.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import type { HookstreamConfig } from '../../src/config/types.js';
import { ensureTopics, topicNames } from '../../src/kafka/topics.js';
import { freePort } from '../../src/kafka/local/index.js';
import type { Logger } from '../../src/observability/logger.js';
import { HookstreamService } from '../../src/pipeline/service.js';
import { PACKAGE_ROOT } from '../../src/version.js';
import { tempDir } from './io.js';
import { brokers, defer, uniqueName, withAdmin } from './kafka.js';

export interface RawApp {
  id: string;
  key: string;
  secret: string;
  webhooks: Record<string, unknown>[];
}

export interface TestConfigOptions {
  apps: RawApp[];
  batching?: { enabled?: boolean; duration?: number; size?: number };
  delivery?: Record<string, unknown>;
  retry?: { delays_ms: number[] };
  partitions?: number;
  /** Reuse a topic and group (a second instance, a restart). */
  topic?: string;
  group?: string;
}

/** A raw config object (as in a config.json) on fresh topics and group for this test. */
export function testConfig(options: TestConfigOptions): Record<string, unknown> {
  return {
    app_manager: { driver: 'memory', array: { apps: options.apps } },
    webhooks: { batching: { enabled: true, duration: 50, size: 100, ...options.batching } },
    kafka: {
      brokers: brokers(),
      client_id: 'hookstream-test',
      group_id: options.group ?? uniqueName('group'),
      topic: options.topic ?? uniqueName('events'),
      partitions: options.partitions ?? 4,
    },
    retry: options.retry ?? { delays_ms: [1000, 2000, 4000, 8000, 16000] },
    metrics: { enabled: true, port: 0 },
    delivery: { shutdown_grace_ms: 5000, ...options.delivery },
  };
}

/** Creates the config's events, retry and dead-letter topics; deletes them after the test. */
export async function createServiceTopics(t: TestContext, raw: Record<string, unknown>): Promise<HookstreamConfig> {
  const config = parseConfig(raw);
  await withAdmin((admin) => ensureTopics(admin, config));
  const names = topicNames(config);
  defer(t, () =>
    withAdmin((admin) => admin.deleteTopics({ topics: [names.events, ...names.retries.map((r) => r.name), names.dlq] })).catch(() => undefined),
  );
  return config;
}

/** A logger for services under test: silent unless HOOKSTREAM_TEST_LOG names a level. */
export function testLogger(): Logger {
  return pino({ level: process.env.HOOKSTREAM_TEST_LOG ?? 'silent' }, pino.destination(2));
}

/** Starts the service in this process and waits until it has joined its groups. */
export async function startService(t: TestContext, raw: Record<string, unknown>, options: { commitIntervalMs?: number; logger?: Logger } = {}): Promise<HookstreamService> {
  const service = new HookstreamService({ config: parseConfig(raw), logger: options.logger ?? testLogger(), commitIntervalMs: options.commitIntervalMs ?? 200 });
  defer(t, () => service.close());
  await service.start();
  await waitUntil(() => service.ready, 30_000, 'service joined its consumer groups');
  return service;
}

export interface ServiceProcess {
  child: ChildProcess;
  metricsPort: number;
  logFile: string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  waitReady(timeoutMs?: number): Promise<void>;
  metrics(): Promise<string>;
}

export interface SpawnOptions {
  /**
   * The least verbose level the service may log at (its LOG_LEVEL), for a test that reads
   * the log: HOOKSTREAM_TEST_LOG can make it more verbose, never less.
   * @defaultValue none: HOOKSTREAM_TEST_LOG, else info
   */
  minLogLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** More arguments for `hookstream start` (e.g. `--embedded`). */
  args?: readonly string[];
}

/** LOG_LEVEL for a spawned service: HOOKSTREAM_TEST_LOG (default info), at least as verbose as `min`. */
export function serviceLogLevel(min: SpawnOptions['minLogLevel'], fromEnv: string | undefined = process.env.HOOKSTREAM_TEST_LOG): string {
  const wanted = fromEnv ?? 'info';
  if (min === undefined) return wanted;
  const rank = (level: string): number => pino.levels.values[level] ?? Infinity; // 'silent' and unknown names: least verbose
  return rank(wanted) <= rank(min) ? wanted : min;
}

/** Runs `hookstream start` as a child process on the config; killed after the test. */
export async function spawnService(t: TestContext, raw: Record<string, unknown>, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const dir = await tempDir(t, 'hookstream-svc-');
  const metricsPort = await freePort();
  const config = { ...raw, metrics: { enabled: true, port: metricsPort, host: '127.0.0.1' } };
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  const logFile = join(dir, 'service.log');
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/main.js'), 'start', '--config', file, ...(options.args ?? [])], {
    env: { ...process.env, LOG_LEVEL: serviceLogLevel(options.minLogLevel) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const metrics = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    return res.text();
  };
  const waitReady = async (timeoutMs = 30_000): Promise<void> => {
    await waitUntilAsync(async () => {
      if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}; log: ${logFile}`);
      try {
        return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, timeoutMs, `service ready (log ${logFile})`);
  };
  return { child, metricsPort, logFile, exited, waitReady, metrics };
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntilAsync(async () => predicate(), timeoutMs, what);
}

export async function waitUntilAsync(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a counter's value (summed over label sets matching `labels`) from Prometheus text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = new Map((m[3] ?? '').split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return [k!, v!.replace(/^"|"$/g, '')] as const;
    }));
    if (Object.entries(labels).every(([k, v]) => set.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

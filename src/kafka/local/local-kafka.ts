import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { HookstreamError, errorMessage } from '../../errors.js';
import {
  DEFAULT_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  heapOpts,
  type StartOptions,
  type StartResult,
  type StatusOptions,
  type StatusResult,
  type StopOptions,
  type StopResult,
} from './options.js';
import { freePort, isBrokerProcess, isPortFree, readPidFile, removePidFile, signal, waitForExit, writePidFile } from './process.js';
import { log4j2Properties, plaintextPort, serverProperties } from './properties.js';
import { classpathOf, findJava, readTail, resolveJars, tail } from './tools.js';

interface BrokerPaths {
  dir: string;
  properties: string;
  log4j: string;
  logs: string;
  data: string;
  out: string;
}

function pathsOf(dir: string): BrokerPaths {
  const root = resolve(dir);
  return {
    dir: root,
    properties: join(root, 'server.properties'),
    log4j: join(root, 'log4j2.properties'),
    logs: join(root, 'logs'),
    data: join(root, 'data'),
    out: join(root, 'logs', 'server.out'),
  };
}

/**
 * Starts a single-node KRaft broker (broker and controller in one JVM) in the background
 * and resolves once it answers describeCluster. The JVM outlives the calling process;
 * {@link stop} ends it.
 */
export async function start(options: StartOptions = {}): Promise<StartResult> {
  if (options.port !== undefined) checkPort(options.port, 'port');
  const paths = pathsOf(options.dir ?? DEFAULT_DIR);
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const progress = options.onProgress ?? (() => undefined);

  const existing = runningPid(paths);
  if (existing !== undefined) {
    const runningPort = configuredPort(paths) ?? options.port ?? DEFAULT_PORT;
    if (options.port !== undefined && runningPort !== options.port) {
      throw new HookstreamError(
        'HS_LOCAL_KAFKA',
        `The broker of ${paths.dir} is already running on port ${runningPort} (pid ${existing}); stop it first or use another --dir`,
      );
    }
    const running = `${DEFAULT_HOST}:${runningPort}`;
    // It may still be starting (another process just launched it), so give it the usual time.
    await waitUntilReady({ brokers: running, paths, timeoutMs, signal: options.signal, isAlive: () => isBrokerProcess(existing, paths.properties) });
    return { brokers: running, pid: existing, dir: paths.dir, port: runningPort, alreadyRunning: true, startupMs: 0 };
  }
  removePidFile(paths.dir);

  const port = options.port ?? DEFAULT_PORT;
  const brokers = `${DEFAULT_HOST}:${port}`;

  if (!(await isPortFree(port, DEFAULT_HOST))) {
    throw new HookstreamError('HS_LOCAL_KAFKA', `Port ${port} on ${DEFAULT_HOST} is already in use by another process; choose another with --port`);
  }
  const controllerPort = await pickControllerPort(port, options.controllerPort);

  const java = findJava();
  const libs = await resolveJars({ cacheDir: options.cacheDir, onProgress: options.onProgress, signal: options.signal });
  const classpath = classpathOf(libs);

  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.data, { recursive: true });
  const properties = serverProperties({
    port,
    controllerPort,
    dataDir: paths.data,
    host: DEFAULT_HOST,
    ...(options.extraListeners ? { extraListeners: options.extraListeners } : {}),
    ...(options.extraProperties ? { extraProperties: options.extraProperties } : {}),
  });
  await writeFile(paths.properties, properties);
  await writeFile(paths.log4j, log4j2Properties());
  const logOpts = [`-Dkafka.logs.dir=${paths.logs}`, `-Dlog4j2.configurationFile=${paths.log4j}`];

  if (!existsSync(join(paths.data, 'meta.properties'))) {
    progress(`Formatting storage in ${paths.data}...`);
    const scram = (options.scramUsers ?? []).flatMap((u) => ['--add-scram', `${u.mechanism}=[name=${u.username},password=${u.password}]`]);
    await formatStorage(java, [...logOpts, '-cp', classpath], paths, options.signal, scram);
  }

  const jvmArgs = [
    ...heapOpts(),
    // G1 settings from Kafka's kafka-run-class.sh / kafka-server-start.sh.
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    ...logOpts,
    '-cp',
    classpath,
    'kafka.Kafka',
    paths.properties,
  ];
  const out = openSync(paths.out, 'w');
  const startedAt = Date.now();
  let exited: string | undefined;
  let pid: number | undefined;
  try {
    // Detached, with its own process group, so Ctrl-C in the starting terminal does not reach it.
    const child = spawn(java, jvmArgs, { cwd: paths.dir, detached: true, stdio: ['ignore', out, out] });
    child.once('error', (err) => (exited = errorMessage(err)));
    child.once('exit', (code, sig) => (exited = sig ? `signal ${sig}` : `exit code ${code}`));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  if (pid === undefined) {
    throw new HookstreamError('HS_LOCAL_KAFKA', `Could not start ${java}: ${exited ?? 'no pid'}`);
  }
  writePidFile(paths.dir, pid);
  const brokerPid = pid;
  progress(`Started the Kafka JVM (pid ${brokerPid}); waiting for it to answer at ${brokers}...`);

  try {
    await waitUntilReady({
      brokers,
      paths,
      timeoutMs,
      signal: options.signal,
      isAlive: () => exited === undefined,
      exitReason: () => exited,
    });
  } catch (err) {
    // A broker that never became ready is of no use and would hold the ports.
    signal(brokerPid, 'SIGTERM');
    if (!(await waitForExit(brokerPid, paths.properties, 10_000))) signal(brokerPid, 'SIGKILL');
    removePidFile(paths.dir);
    throw err;
  }
  return { brokers, pid: brokerPid, dir: paths.dir, port, alreadyRunning: false, startupMs: Date.now() - startedAt };
}

/** Stops the broker of `dir`: SIGTERM (Kafka shuts down cleanly), then SIGKILL after the grace period. */
export async function stop(options: StopOptions = {}): Promise<StopResult> {
  const paths = pathsOf(options.dir ?? DEFAULT_DIR);
  const pid = runningPid(paths);
  if (pid === undefined) {
    removePidFile(paths.dir);
    return { stopped: false, killed: false };
  }
  signal(pid, 'SIGTERM');
  let killed = false;
  if (!(await waitForExit(pid, paths.properties, options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))) {
    signal(pid, 'SIGKILL');
    killed = true;
    if (!(await waitForExit(pid, paths.properties, 5_000))) {
      throw new HookstreamError('HS_LOCAL_KAFKA', `The broker (pid ${pid}) survived SIGKILL; check it with ps`);
    }
  }
  removePidFile(paths.dir);
  return { stopped: true, pid, killed };
}

export async function status(options: StatusOptions = {}): Promise<StatusResult> {
  const paths = pathsOf(options.dir ?? DEFAULT_DIR);
  const port = checkPort(options.port ?? configuredPort(paths) ?? DEFAULT_PORT, 'port');
  const brokers = `${DEFAULT_HOST}:${port}`;
  const pid = runningPid(paths);
  // Asked even when this dir's broker is not running: another one (another dir, Docker)
  // may hold the port, and "start" here would then fail on a port in use.
  const answering = await probeBroker(brokers);
  return { running: pid !== undefined, answering, pid, brokers, dir: paths.dir, port };
}

/** True when a Kafka broker at `brokers` answers describeCluster with at least one broker. */
export async function probeBroker(brokers: string, timeoutMs = 3_000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'hookstream-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Makes the broker create __consumer_offsets now. Otherwise the first consumer to join a
 * group meets "group coordinator is not available" (kafkajs logs it as an error and retries)
 * while the topic is created. Best effort: a broker that answers is usable either way.
 */
export async function warmGroupCoordinator(brokers: string): Promise<void> {
  // The coordinator lookup retries with the client's policy, not the admin's.
  const retry = { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 };
  const kafka = new Kafka({ clientId: 'hookstream-warmup', brokers: [brokers], logLevel: logLevel.NOTHING, retry });
  const admin = kafka.admin({ retry });
  try {
    await admin.connect();
    await admin.describeGroups(['hookstream-warmup']);
  } catch {
    // The broker is up; the group coordinator will follow.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

interface ReadyWait {
  brokers: string;
  paths: BrokerPaths;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  isAlive: () => boolean;
  exitReason?: () => string | undefined;
}

async function waitUntilReady(wait: ReadyWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    if (wait.signal?.aborted) {
      throw new HookstreamError('HS_LOCAL_KAFKA', 'Kafka start was aborted', { cause: wait.signal.reason });
    }
    if (!wait.isAlive()) {
      const reason = wait.exitReason?.() ?? 'it exited';
      throw new HookstreamError('HS_LOCAL_KAFKA', `Kafka stopped while starting (${reason}).\n${await logExcerpt(wait.paths)}`);
    }
    if (await probeBroker(wait.brokers, 2_000)) {
      await warmGroupCoordinator(wait.brokers);
      return;
    }
    if (Date.now() >= deadline) {
      throw new HookstreamError(
        'HS_LOCAL_KAFKA',
        `Kafka did not answer at ${wait.brokers} within ${Math.round(wait.timeoutMs / 1000)} s.\n${await logExcerpt(wait.paths)}`,
        { canRetry: true },
      );
    }
    await sleep(300);
  }
}

async function logExcerpt(paths: BrokerPaths): Promise<string> {
  const out = await readTail(paths.out, 40);
  if (out !== '') return `Last lines of ${paths.out}:\n${out}`;
  const log = await readTail(join(paths.logs, 'server.log'), 40);
  return log !== '' ? `Last lines of ${join(paths.logs, 'server.log')}:\n${log}` : `(no output in ${paths.logs})`;
}

function formatStorage(java: string, jvmArgs: string[], paths: BrokerPaths, abort: AbortSignal | undefined, extraArgs: readonly string[] = []): Promise<void> {
  const args = ['-Xmx256m', ...jvmArgs, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', randomClusterId(), '-c', paths.properties, ...extraArgs];
  return new Promise((resolvePromise, reject) => {
    execFile(java, args, { cwd: paths.dir, signal: abort, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise();
      reject(
        new HookstreamError('HS_LOCAL_KAFKA', `Formatting Kafka storage in ${paths.data} failed: ${errorMessage(err)}\n${tail(`${stdout}${stderr}`, 30)}`, {
          cause: err,
        }),
      );
    });
  });
}

/**
 * The format Kafka's `StorageTool random-uuid` prints (URL-safe base64 of 16 random bytes),
 * made here to spare a JVM start. Kafka rejects ids that start with '-', as a CLI would read them as flags.
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function runningPid(paths: BrokerPaths): number | undefined {
  const pid = readPidFile(paths.dir);
  return pid !== undefined && isBrokerProcess(pid, paths.properties) ? pid : undefined;
}

function configuredPort(paths: BrokerPaths): number | undefined {
  try {
    return plaintextPort(readFileSync(paths.properties, 'utf8'));
  } catch {
    return undefined;
  }
}

async function pickControllerPort(port: number, requested: number | undefined): Promise<number> {
  if (requested !== undefined) {
    checkPort(requested, 'controllerPort');
    if (requested === port || !(await isPortFree(requested, DEFAULT_HOST))) {
      throw new HookstreamError('HS_LOCAL_KAFKA', `Controller port ${requested} is in use or equals the broker port; choose another`);
    }
    return requested;
  }
  if (port < 65535 && (await isPortFree(port + 1, DEFAULT_HOST))) return port + 1;
  for (;;) {
    const candidate = await freePort(DEFAULT_HOST);
    if (candidate !== port) return candidate;
  }
}

function checkPort(port: number, name: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HookstreamError('HS_USAGE', `${name} must be an integer from 1 to 65535, got ${port}`);
  }
  return port;
}

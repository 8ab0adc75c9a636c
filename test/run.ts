/**
 * `npm test`: picks a Kafka broker, then runs the compiled tests with Node's test runner.
 *
 *   node dist/test/run.js                 unit + integration tests
 *   node dist/test/run.js unit            unit tests only, no broker
 *   node dist/test/run.js integration     integration tests only
 *   node dist/test/run.js PATH...         these files or directories (test/x.test.ts maps to dist/test/x.test.js)
 *
 * Broker, first that applies: KAFKA_BROKERS; a testcontainers apache/kafka container when a
 * Docker engine answers; else a local broker from the Maven jars (src/kafka/local) on free
 * ports in a fresh temp dir. HOOKSTREAM_TEST_KAFKA=local|container skips the detection.
 * TEST_CONCURRENCY (default 2) test files run in parallel; TEST_TIMEOUT (ms, default 600000)
 * bounds each test and, on Node 20, each file; TEST_REPORTER picks the reporter (default spec).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SINGLE_NODE_SETTINGS, freePort, probeBroker, randomClusterId, start, stop, warmGroupCoordinator } from '../src/kafka/local/index.js';
import { errorMessage } from '../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_TEST = join(ROOT, 'dist', 'test');
const UNIT_DIR = join(DIST_TEST, 'unit');
const INTEGRATION_DIR = join(DIST_TEST, 'integration');
const KAFKA_IMAGE = 'apache/kafka:4.1.1';

interface Broker {
  brokers: string;
  description: string;
  /** Whether this run started the broker (and so stops it). */
  owned: boolean;
  /** Called once; `keepLogs` asks to leave a local broker's files for a failed run. */
  stop(keepLogs: boolean): Promise<void>;
}

function say(line: string): void {
  process.stdout.write(`[test/run] ${line}\n`);
}

function selectFiles(args: readonly string[]): string[] {
  const roots = args.length === 0 ? ['unit', 'integration'] : args;
  const files = new Set<string>();
  for (const arg of roots) {
    if (arg === 'unit' || arg === 'integration') {
      const dir = arg === 'unit' ? UNIT_DIR : INTEGRATION_DIR;
      if (existsSync(dir)) walk(dir).forEach((file) => files.add(file));
      continue;
    }
    const path = toCompiled(resolve(arg));
    if (!existsSync(path)) throw new Error(`no such test file or directory: ${arg} (looked for ${path}; did the build run?)`);
    if (statSync(path).isDirectory()) walk(path).forEach((file) => files.add(file));
    else files.add(path);
  }
  return [...files].filter(isCurrent).sort();
}

/** `test/a.test.ts` means its compiled `dist/test/a.test.js`. */
function toCompiled(path: string): string {
  const sourceRoot = join(ROOT, 'test');
  if ((path === sourceRoot || path.startsWith(sourceRoot + sep)) && !path.startsWith(DIST_TEST)) {
    return join(DIST_TEST, relative(sourceRoot, path)).replace(/\.ts$/, '.js');
  }
  return path;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.isFile() && entry.name.endsWith('.test.js') ? [path] : [];
  });
}

/** tsc never deletes outputs: skip compiled tests whose source file is gone. */
function isCurrent(file: string): boolean {
  const sourceRoot = join(ROOT, 'test');
  if (!existsSync(sourceRoot) || !file.startsWith(DIST_TEST + sep)) return true;
  const source = join(sourceRoot, relative(DIST_TEST, file)).replace(/\.js$/, '.ts');
  if (existsSync(source)) return true;
  say(`skipping ${relative(ROOT, file)}: ${relative(ROOT, source)} no longer exists`);
  return false;
}

async function provideBroker(signal: AbortSignal): Promise<Broker> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) return { brokers: fromEnv, description: 'KAFKA_BROKERS from the environment', owned: false, stop: async () => undefined };

  const mode = process.env.HOOKSTREAM_TEST_KAFKA ?? 'auto';
  if (mode !== 'auto' && mode !== 'local' && mode !== 'container') {
    throw new Error(`HOOKSTREAM_TEST_KAFKA must be local, container or unset, got "${mode}"`);
  }
  if (mode === 'container' || (mode === 'auto' && (await dockerAnswers()))) {
    try {
      return await startContainer();
    } catch (err) {
      if (mode === 'container') throw err;
      say(`the ${KAFKA_IMAGE} container did not start (${errorMessage(err)}); using a local broker instead`);
    }
  }
  return startLocal(signal);
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000);
    });
    try {
      await Promise.race([getContainerRuntimeClient(), timeout]);
      return true;
    } finally {
      clearTimeout(timer);
    }
  } catch {
    return false;
  }
}

/**
 * apache/kafka in KRaft single-node mode. The advertised listener must name the address
 * and port the host reaches, which a random mapped port would only reveal after start, so
 * the host port is chosen first and bound explicitly.
 */
async function startContainer(): Promise<Broker> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const hostPort = await freePort();
  const settings: Record<string, string> = {
    'node.id': '1',
    'process.roles': 'broker,controller',
    listeners: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093',
    'advertised.listeners': `PLAINTEXT://${host}:${hostPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'controller.quorum.voters': '1@localhost:9093',
    ...SINGLE_NODE_SETTINGS,
  };
  // The image turns KAFKA_FOO_BAR into foo.bar; once any KAFKA_ variable is set it uses only these.
  const environment: Record<string, string> = {
    ...Object.fromEntries(Object.entries(settings).map(([key, value]) => [`KAFKA_${key.toUpperCase().replace(/\./g, '_')}`, value])),
    // The image's configure script refuses KRaft mode without it.
    CLUSTER_ID: randomClusterId(),
  };
  say(`starting ${KAFKA_IMAGE} with testcontainers...`);
  const startedAt = Date.now();
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withEnvironment(environment)
    .withExposedPorts({ container: 9092, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
    .withStartupTimeout(120_000)
    .start();
  const brokers = `${host}:${hostPort}`;
  if (!(await waitForProbe(brokers, 30_000))) {
    await container.stop();
    throw new Error(`the container logged "Kafka Server started" but ${brokers} does not answer`);
  }
  await warmGroupCoordinator(brokers);
  return {
    brokers,
    description: `testcontainers ${KAFKA_IMAGE}, ready in ${seconds(Date.now() - startedAt)}`,
    owned: true,
    stop: async () => {
      await container.stop();
    },
  };
}

async function waitForProbe(brokers: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probeBroker(brokers)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

async function startLocal(signal: AbortSignal): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), 'hookstream-test-kafka-'));
  const port = await freePort();
  const result = await start({ dir, port, signal, onProgress: (message) => say(message) }).catch(async (err: unknown) => {
    if (signal.aborted) await rm(dir, { recursive: true, force: true });
    else say(`the local broker did not start; its files are kept in ${dir}`);
    throw err;
  });
  return {
    brokers: result.brokers,
    description: `local Kafka from the Maven jars (pid ${result.pid}, dir ${dir}), ready in ${seconds(result.startupMs)}`,
    owned: true,
    stop: async (keepLogs) => {
      await stop({ dir });
      if (keepLogs) say(`keeping the broker logs of this failed run in ${join(dir, 'logs')}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}

function runTests(files: readonly string[], brokers: string | undefined, onChild: (child: ChildProcess) => void): Promise<number> {
  const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`TEST_CONCURRENCY must be a positive integer, got "${process.env.TEST_CONCURRENCY}"`);
  }
  const timeoutMs = Number(process.env.TEST_TIMEOUT ?? 600_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new Error(`TEST_TIMEOUT must be a positive number of milliseconds, got "${process.env.TEST_TIMEOUT}"`);
  }
  const args = [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    // Node 20 applies this to each test file as a whole too: a file that never exits (a
    // hook waiting forever, a leaked socket) fails after it instead of hanging the run.
    `--test-timeout=${timeoutMs}`,
    // Node 20 defaults to TAP when not on a terminal; spec reads better in CI logs too.
    `--test-reporter=${process.env.TEST_REPORTER ?? 'spec'}`,
    ...files,
  ];
  const env = { ...process.env, ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers }) };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: ROOT });
    onChild(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(args: string[]): Promise<number> {
  let files: string[];
  try {
    files = selectFiles(args);
  } catch (err) {
    say(errorMessage(err));
    return 2;
  }
  if (files.length === 0) {
    say(`no test files found under ${relative(process.cwd(), DIST_TEST) || '.'}; run "npm run build" first`);
    return 1;
  }
  const needsBroker = files.some((file) => !file.startsWith(UNIT_DIR + sep));

  const abort = new AbortController();
  let child: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) {
      say(`second ${signal}: exiting now; a local broker may be left running (see its kafka.pid)`);
      process.exit(130);
    }
    interrupted = signal;
    say(`${signal}: stopping the tests and the broker...`);
    abort.abort(new Error(signal));
    child?.kill(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let broker: Broker | undefined;
  let code = 1;
  try {
    if (needsBroker) {
      broker = await provideBroker(abort.signal);
      say(`Kafka for the integration tests: ${broker.brokers} (${broker.description})`);
    } else {
      say('unit tests only: no Kafka broker needed');
    }
    if (interrupted === undefined) {
      say(`running ${files.length} test file(s), concurrency ${process.env.TEST_CONCURRENCY ?? 2}`);
      code = await runTests(files, broker?.brokers, (spawned) => (child = spawned));
    }
  } catch (err) {
    if (interrupted === undefined) say(`failed: ${errorMessage(err)}`);
    code = 1;
  } finally {
    if (broker?.owned) {
      try {
        await broker.stop(code !== 0 && interrupted === undefined);
        say('broker stopped');
      } catch (err) {
        say(`could not stop the broker: ${errorMessage(err)}`);
        code = code === 0 ? 1 : code;
      }
    }
  }
  if (interrupted !== undefined) return interrupted === 'SIGINT' ? 130 : 143;
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[test/run] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

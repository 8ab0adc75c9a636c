import type { ExtraListener } from './properties.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Kafka version of the jars in local-kafka/pom.xml; names the default jar cache. */
export const KAFKA_VERSION = '4.1.1';

export const DEFAULT_PORT = 9092;
export const DEFAULT_DIR = '.hookstream/kafka';
export const DEFAULT_HOST = '127.0.0.1';

/** Sized for a 2-core developer or CI box: enough for benchmarks, small enough to share. */
export const DEFAULT_HEAP_OPTS = ['-Xms512m', '-Xmx1g'];

export const DEFAULT_START_TIMEOUT_MS = 90_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** Reports long steps (Maven, storage format, waiting) to whoever started the broker. */
export type ProgressListener = (message: string) => void;

export interface ResolveJarsOptions {
  /**
   * Directory that receives the jars.
   * @defaultValue `$HOOKSTREAM_KAFKA_CACHE`, else `~/.cache/hookstream/kafka-4.1.1/libs`
   */
  cacheDir?: string;
  /** @defaultValue `local-kafka/pom.xml` of the hookstream package */
  pomPath?: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface StartOptions {
  /** @defaultValue 9092 */
  port?: number;
  /** @defaultValue `port + 1` when free, else any free port */
  controllerPort?: number;
  /** Holds server.properties, data/, logs/ and kafka.pid. Relative paths resolve against the cwd. @defaultValue `.hookstream/kafka` */
  dir?: string;
  /** @defaultValue 90000 */
  timeoutMs?: number;
  /** Jar cache, see {@link ResolveJarsOptions.cacheDir}. */
  cacheDir?: string;
  onProgress?: ProgressListener;
  /** Aborting stops a broker that is still starting and rejects. */
  signal?: AbortSignal;
  /**
   * For tests of secured connections: listeners besides PLAINTEXT, settings added to
   * server.properties (TLS keystore, SASL JAAS), and SCRAM users created when the storage
   * is formatted (KRaft keeps SCRAM credentials in its metadata log).
   */
  extraListeners?: readonly ExtraListener[];
  extraProperties?: Readonly<Record<string, string>>;
  scramUsers?: readonly { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }[];
}

export interface StartResult {
  /** Bootstrap address for clients, e.g. `127.0.0.1:9092`. */
  brokers: string;
  pid: number;
  dir: string;
  port: number;
  /** True when a broker of this dir already answered and nothing was started. */
  alreadyRunning: boolean;
  /** Time from spawning the JVM to the first answered describeCluster; 0 when already running. */
  startupMs: number;
}

export interface StopOptions {
  /** @defaultValue `.hookstream/kafka` */
  dir?: string;
  /** Grace period after SIGTERM before SIGKILL. @defaultValue 30000 */
  timeoutMs?: number;
}

export interface StopResult {
  /** False when no broker of this dir was running (a stale pid file is removed). */
  stopped: boolean;
  pid?: number;
  /** True when the broker ignored SIGTERM for the whole grace period. */
  killed: boolean;
}

export interface StatusOptions {
  /** @defaultValue `.hookstream/kafka` */
  dir?: string;
  /** @defaultValue the port in the dir's server.properties, else 9092 */
  port?: number;
}

export interface StatusResult {
  /** A broker process of this dir is alive. */
  running: boolean;
  /** A broker answered describeCluster at `brokers`: this dir's, or any other holding the port. */
  answering: boolean;
  pid?: number;
  brokers: string;
  dir: string;
  port: number;
}

export function defaultCacheDir(): string {
  return process.env.HOOKSTREAM_KAFKA_CACHE || join(homedir(), '.cache', 'hookstream', `kafka-${KAFKA_VERSION}`, 'libs');
}

export function heapOpts(): string[] {
  // Same escape hatch as Kafka's own start scripts.
  const fromEnv = process.env.KAFKA_HEAP_OPTS?.split(/\s+/).filter(Boolean);
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_HEAP_OPTS;
}

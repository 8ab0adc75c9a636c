import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HookstreamError, errorMessage } from '../../errors.js';
import { PACKAGE_ROOT } from '../../version.js';
import { defaultCacheDir, type ResolveJarsOptions } from './options.js';
import { toolsLog4j2Properties } from './properties.js';

const MIN_JAVA_MAJOR = 17;
const MARKER = '.hookstream-resolved';
const TOOLS_LOG4J = 'tools-log4j2.properties';

const INSTALL_JAVA =
  'install OpenJDK 17+ (apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) or point JAVA_HOME at one';
const INSTALL_MAVEN = 'install Apache Maven (apt-get install maven; macOS: brew install maven)';

let javaCache: string | undefined;

/** The java binary to use (JAVA_HOME first, then PATH), checked to be Java 17 or newer. */
export function findJava(): string {
  if (javaCache !== undefined) return javaCache;
  const fromHome = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome !== undefined && existsSync(fromHome) ? fromHome : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const what = isNotFound(probe.error) ? `\`${java}\` was not found (JAVA_HOME unset or without bin/java, none on PATH)` : `\`${java} -version\` failed`;
    throw new HookstreamError('HS_MISSING_TOOL', `A local Kafka broker needs Java 17+, and ${what}: ${INSTALL_JAVA}`, { cause: probe.error });
  }
  const major = javaMajorVersion(`${probe.stderr}${probe.stdout}`);
  if (major !== undefined && major < MIN_JAVA_MAJOR) {
    throw new HookstreamError('HS_MISSING_TOOL', `Kafka 4 needs Java ${MIN_JAVA_MAJOR}+, found Java ${major} at \`${java}\`: ${INSTALL_JAVA}`);
  }
  javaCache = java;
  return java;
}

function isNotFound(err: Error | undefined): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Major version from `java -version` output; handles both `1.8.0_x` and `17.0.15`. */
export function javaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function findMaven(): string {
  const probe = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const what = isNotFound(probe.error) ? '`mvn` was not found on PATH' : '`mvn -v` failed';
    throw new HookstreamError('HS_MISSING_TOOL', `The Kafka jars are fetched once with Maven, and ${what}: ${INSTALL_MAVEN}`, { cause: probe.error });
  }
  return 'mvn';
}

/** The package root, which holds local-kafka/pom.xml (the repository, or node_modules/hookstream). */
export function packageRoot(): string {
  return PACKAGE_ROOT;
}

export function defaultPomPath(): string {
  const pom = join(PACKAGE_ROOT, 'local-kafka', 'pom.xml');
  if (!existsSync(pom)) throw new HookstreamError('HS_LOCAL_KAFKA', `${pom} not found; is the package complete?`);
  return pom;
}

/**
 * Copies the broker's jars from Maven into a cache directory and returns that directory.
 * A marker holding the pom's hash lets later runs skip Maven, and makes a changed pom
 * (say, a Kafka upgrade) resolve again instead of mixing two versions on one classpath.
 */
export async function resolveJars(options: ResolveJarsOptions = {}): Promise<string> {
  const libs = resolve(options.cacheDir ?? defaultCacheDir());
  const pom = resolve(options.pomPath ?? defaultPomPath());
  const fingerprint = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (readMarker(libs) === fingerprint) return libs;

  const mvn = findMaven();
  options.onProgress?.(`Fetching the Kafka jars with Maven into ${libs} (first run only; about 100 MB from Maven Central unless ~/.m2 has them)...`);
  // Resolve beside the cache and rename into place, so an interrupted run or a second
  // process resolving at the same time never leaves a half-filled cache that looks valid.
  const staging = `${libs}.staging-${process.pid}-${randomBytes(3).toString('hex')}`;
  await mkdir(dirname(libs), { recursive: true });
  try {
    await runMaven(mvn, pom, staging, options.signal);
    const jars = await readdir(staging);
    if (!jars.some((name) => /^kafka_2\.13-.*\.jar$/.test(name))) {
      throw new HookstreamError('HS_LOCAL_KAFKA', `Maven finished but ${staging} holds no kafka_2.13 jar; check ${pom}`);
    }
    await writeFile(join(staging, TOOLS_LOG4J), toolsLog4j2Properties());
    await writeFile(join(staging, MARKER), fingerprint);
    if (existsSync(libs) && readMarker(libs) !== fingerprint) await rm(libs, { recursive: true, force: true });
    try {
      await rename(staging, libs);
    } catch (err) {
      if (readMarker(libs) !== fingerprint) throw err;
      // Another process won the race with the same jars.
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return libs;
}

function readMarker(libs: string): string | undefined {
  try {
    return readFileSync(join(libs, MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function runMaven(mvn: string, pom: string, outputDir: string, signal: AbortSignal | undefined): Promise<void> {
  const args = [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDir}`,
  ];
  return new Promise((resolvePromise, reject) => {
    execFile(mvn, args, { maxBuffer: 32 * 1024 * 1024, signal }, (err, stdout, stderr) => {
      if (!err) return resolvePromise();
      const output = tail(`${stdout}${stderr}`, 30);
      reject(
        new HookstreamError('HS_LOCAL_KAFKA', `Maven could not fetch the Kafka jars (mvn ${args.join(' ')}): ${errorMessage(err)}\n${output}`, {
          cause: err,
          // Usually the network or Maven Central; trying again may well work.
          canRetry: true,
        }),
      );
    });
  });
}

/** A Java classpath with every jar of the broker, which includes Kafka's command-line tools. */
export function classpathOf(libs: string): string {
  return join(libs, '*');
}

/**
 * The classpath for Kafka's own tools, e.g. `org.apache.kafka.tools.consumer.group.ConsumerGroupCommand`
 * (kafka-consumer-groups.sh). Fetches the jars on first use.
 */
export async function kafkaToolsClasspath(options: ResolveJarsOptions = {}): Promise<string> {
  return classpathOf(await resolveJars(options));
}

export interface KafkaToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of Kafka's tools in a JVM and collects its output. A non-zero exit is returned,
 * not thrown: tools such as ConsumerGroupCommand use it to report on the cluster.
 */
export async function runKafkaTool(
  mainClass: string,
  args: readonly string[],
  options: ResolveJarsOptions & { timeoutMs?: number } = {},
): Promise<KafkaToolResult> {
  const java = findJava();
  const libs = await resolveJars(options);
  const log4j = join(libs, TOOLS_LOG4J);
  if (!existsSync(log4j)) await writeFile(log4j, toolsLog4j2Properties());
  const jvmArgs = ['-Xmx256m', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpathOf(libs), mainClass, ...args];
  return new Promise((resolvePromise, reject) => {
    execFile(java, jvmArgs, { maxBuffer: 64 * 1024 * 1024, signal: options.signal, timeout: options.timeoutMs ?? 0 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new HookstreamError('HS_LOCAL_KAFKA', `${mainClass} did not run: ${errorMessage(err)}\n${tail(stderr, 20)}`, { cause: err }));
        return;
      }
      resolvePromise({ exitCode: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last lines of a log file; reads at most its last 64 KiB, since logs roll at 20 MB. */
export async function readTail(path: string, lines: number): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return tail(buffer.toString('utf8'), lines);
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

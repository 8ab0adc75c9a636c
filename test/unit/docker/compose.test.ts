/**
 * docker-compose.yml, the Dockerfile, .dockerignore, docker/config.json and the example
 * receiver, checked without a Docker engine (CI has none, so the stack itself is never run
 * there). The checks are functions that return a list of problems; each is run on the
 * real files (no problems) and on broken copies (the problem is found), so they can fail.
 *
 * The commands the image runs are checked against the real CLI: the command must be one of
 * src/cli/main.ts's COMMANDS, and `hookstream <words> --help` must be accepted by that
 * command's own argument parser (strict parseArgs refuses an unknown flag before --help is
 * looked at) and print that command's usage naming every word and flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/config/index.js';
import type { HookstreamConfig } from '../../../src/config/types.js';
import { KAFKA_VERSION, SINGLE_NODE_SETTINGS } from '../../../src/kafka/local/index.js';
import { signedHeaders } from '../../../src/pipeline/deliver/signing.js';
import { validateEvent } from '../../../src/producer/validate.js';
import { PACKAGE_ROOT } from '../../../src/version.js';

const ROOT = PACKAGE_ROOT;
const MAIN_JS = join(ROOT, 'dist/src/cli/main.js');

type Obj = Record<string, unknown>;

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function loadCompose(): Obj {
  return parseYaml(read('docker-compose.yml')) as Obj;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- the CLI ------------------------------------------------------------------------------

/** Command names of `COMMANDS` in src/cli/main.ts (main.ts runs the CLI when imported, so it is read, not imported). */
function cliCommands(): string[] {
  const source = read('src/cli/main.ts');
  const block = /const COMMANDS[^=]*=\s*\{([\s\S]*?)\n\};/.exec(source);
  assert.ok(block, 'COMMANDS not found in src/cli/main.ts');
  return [...block[1]!.matchAll(/^\s+([a-z][a-z-]*):\s*\{\s*summary:/gm)].map((m) => m[1]!);
}

const helpCache = new Map<string, { status: number | null; stdout: string; stderr: string }>();

/** Problems with running `hookstream <words>`: unknown command, refused flag, word or flag missing from its usage. */
function cliProblems(words: readonly string[], where: string): string[] {
  const [command] = words;
  if (command === undefined) return [`${where}: no command`];
  const commands = cliCommands();
  if (!commands.includes(command)) return [`${where}: "${command}" is not a hookstream command (src/cli/main.ts has ${commands.join(', ')})`];
  const key = JSON.stringify(words);
  let result = helpCache.get(key);
  if (!result) {
    const r = spawnSync(process.execPath, [MAIN_JS, ...words, '--help'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, KAFKA_BROKERS: '' } });
    result = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    helpCache.set(key, result);
  }
  if (result.status !== 0) return [`${where}: "hookstream ${words.join(' ')}" is refused by the CLI (exit ${result.status}): ${result.stderr.split('\n')[0]}`];
  const usage = result.stdout;
  const problems: string[] = [];
  // Words that are neither flags nor a flag's value (a value follows a flag that the usage shows with a placeholder).
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith('-')) {
      if (!usage.includes(word)) problems.push(`${where}: the usage of "hookstream ${command}" does not mention ${word}`);
      const takesValue = new RegExp(`${word.replace(/[-]/g, '\\-')}[ =][A-Z<]`).test(usage);
      if (takesValue) i++;
    } else {
      positionals.push(word);
    }
  }
  if (!usage.includes(`hookstream ${positionals.join(' ')}`)) {
    problems.push(`${where}: "hookstream ${positionals.join(' ')}" is not what the usage of "hookstream ${command}" describes`);
  }
  return problems;
}

/** The value of `--config` in a command line. */
function configFlag(words: readonly string[]): string | undefined {
  const i = words.findIndex((w) => w === '--config' || w === '-c');
  return i >= 0 ? words[i + 1] : undefined;
}

// ---- compose ------------------------------------------------------------------------------

function envOf(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const text = String(entry);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  return isObj(env) ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) : {};
}

interface Mount {
  source: string;
  target: string;
}

function mountsOf(service: Obj): Mount[] {
  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  return volumes.map((v) => {
    if (isObj(v)) return { source: String(v.source), target: String(v.target) };
    const [source, target] = String(v).split(':');
    return { source: source!, target: target! };
  });
}

/** `"9601:9601"` → host 9601, container 9601. */
function portsOf(service: Obj): Array<{ host: number; container: number }> {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  return ports.map((p) => {
    if (isObj(p)) return { host: Number(p.published), container: Number(p.target) };
    const parts = String(p).split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

function commandOf(service: Obj): string[] | undefined {
  return Array.isArray(service.command) ? service.command.map(String) : undefined;
}

function healthTest(service: Obj): string {
  const hc = service.healthcheck;
  if (!isObj(hc) || hc.test === undefined) return '';
  return Array.isArray(hc.test) ? hc.test.map(String).join(' ') : String(hc.test);
}

/** `"30s"`, `"1m30s"`, `"500ms"` in ms. */
function durationMs(text: unknown): number {
  let total = 0;
  for (const m of String(text).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

function buildContext(service: Obj): string | undefined {
  if (typeof service.build === 'string') return service.build;
  if (isObj(service.build)) return String(service.build.context ?? '.');
  return undefined;
}

interface Listener {
  name: string;
  host: string;
  port: number;
}

function listeners(text: string | undefined): Listener[] {
  return (text ?? '')
    .split(',')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(l.trim());
      return m ? { name: m[1]!, host: m[2]!, port: Number(m[3]) } : { name: `unparsable ${l}`, host: '', port: -1 };
    });
}

/** The config a service mounts at its `--config` path, parsed as hookstream would. */
function mountedConfig(service: Obj, words: readonly string[], where: string, problems: string[]): HookstreamConfig | undefined {
  const path = configFlag(words);
  if (path === undefined) {
    problems.push(`${where}: the command has no --config`);
    return undefined;
  }
  const mount = mountsOf(service).find((m) => m.target === path);
  if (!mount) {
    problems.push(`${where}: --config ${path} is not a mounted file`);
    return undefined;
  }
  const file = join(ROOT, mount.source);
  if (!existsSync(file)) {
    problems.push(`${where}: ${mount.source} (mounted at ${path}) does not exist`);
    return undefined;
  }
  try {
    return parseConfig(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    problems.push(`${where}: ${mount.source} is not a valid hookstream config: ${(err as Error).message}`);
    return undefined;
  }
}

function checkCompose(compose: Obj): string[] {
  const problems: string[] = [];
  const services = isObj(compose.services) ? compose.services : {};
  for (const name of ['kafka', 'topics', 'hookstream', 'receiver']) {
    if (!isObj(services[name])) problems.push(`services.${name} is missing`);
  }
  if (problems.length > 0) return problems;
  const kafka = services.kafka as Obj;
  const topics = services.topics as Obj;
  const hookstream = services.hookstream as Obj;
  const receiver = services.receiver as Obj;

  // depends_on points at services that exist
  for (const [name, service] of Object.entries(services)) {
    if (!isObj(service) || !isObj(service.depends_on)) continue;
    for (const dep of Object.keys(service.depends_on)) if (!isObj(services[dep])) problems.push(`services.${name}.depends_on names no service: ${dep}`);
  }
  const condition = (service: Obj, dep: string): unknown => (isObj(service.depends_on) && isObj(service.depends_on[dep]) ? service.depends_on[dep].condition : undefined);

  // -- kafka: the official image at the version of src/kafka/local, KRaft, one node
  if (kafka.image !== `apache/kafka:${KAFKA_VERSION}`) problems.push(`kafka.image is ${String(kafka.image)}, expected apache/kafka:${KAFKA_VERSION} (the version src/kafka/local runs)`);
  const env = envOf(kafka);
  const roles = (env.KAFKA_PROCESS_ROLES ?? '').split(',').map((r) => r.trim());
  if (!roles.includes('broker') || !roles.includes('controller')) problems.push('kafka: KAFKA_PROCESS_ROLES must be broker,controller (KRaft, one node)');
  if (!/^\d+$/.test(env.KAFKA_NODE_ID ?? '')) problems.push('kafka: KAFKA_NODE_ID must be set');
  const bound = listeners(env.KAFKA_LISTENERS);
  const advertised = listeners(env.KAFKA_ADVERTISED_LISTENERS);
  const protocolMap = new Set((env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((p) => p.split(':')[0]!.trim()));
  for (const l of [...bound, ...advertised]) if (!protocolMap.has(l.name)) problems.push(`kafka: listener ${l.name} is not in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`);
  for (const l of advertised) {
    const b = bound.find((x) => x.name === l.name);
    if (!b) problems.push(`kafka: advertised listener ${l.name} is not in KAFKA_LISTENERS`);
    else if (b.port !== l.port) problems.push(`kafka: listener ${l.name} binds port ${b.port} but advertises ${l.port}`);
  }
  const controller = env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '';
  const controllerListener = bound.find((l) => l.name === controller);
  if (!controllerListener) problems.push(`kafka: KAFKA_CONTROLLER_LISTENER_NAMES ${controller} is not in KAFKA_LISTENERS`);
  const voters = /^(\d+)@([^:]+):(\d+)$/.exec(env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '');
  if (!voters || voters[1] !== env.KAFKA_NODE_ID || Number(voters[3]) !== controllerListener?.port) {
    problems.push(`kafka: KAFKA_CONTROLLER_QUORUM_VOTERS ${env.KAFKA_CONTROLLER_QUORUM_VOTERS} must be <node id>@<host>:<controller port>`);
  }
  if (!advertised.some((l) => l.name === env.KAFKA_INTER_BROKER_LISTENER_NAME)) problems.push('kafka: KAFKA_INTER_BROKER_LISTENER_NAME is not an advertised listener');
  for (const [key, value] of Object.entries(SINGLE_NODE_SETTINGS)) {
    const name = `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`;
    if (env[name] !== value) problems.push(`kafka: ${name} must be ${value} for a single broker (as src/kafka/local sets ${key}), got ${env[name]}`);
  }
  if (env.CLUSTER_ID !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(env.CLUSTER_ID)) problems.push('kafka: CLUSTER_ID must be 22 characters of URL-safe base64');
  if (env.KAFKA_LOG_DIRS !== undefined && !mountsOf(kafka).some((m) => m.target === env.KAFKA_LOG_DIRS)) problems.push('kafka: KAFKA_LOG_DIRS is not on a volume');
  // From the host: an advertised listener on localhost whose port is published as itself.
  const hostListener = advertised.find((l) => l.host === 'localhost' || l.host === '127.0.0.1');
  if (!hostListener) problems.push('kafka: no listener is advertised on localhost for access from the host');
  else if (!portsOf(kafka).some((p) => p.host === hostListener.port && p.container === hostListener.port)) {
    problems.push(`kafka: the host listener's port ${hostListener.port} must be published as ${hostListener.port}:${hostListener.port} (clients connect to what is advertised)`);
  }
  const kafkaHealth = healthTest(kafka);
  const bootstrap = /kafka-broker-api-versions\.sh --bootstrap-server (?:localhost|127\.0\.0\.1):(\d+)/.exec(kafkaHealth);
  if (!bootstrap || !bound.some((l) => l.port === Number(bootstrap[1]) && l.name !== controller)) {
    problems.push('kafka: the healthcheck must run kafka-broker-api-versions.sh against a broker listener on localhost');
  }

  // -- the hookstream image: built from the Dockerfile, commands the CLI accepts, config mounted
  const inNetwork = new Set(advertised.filter((l) => l.host === 'kafka' || l.host === kafka.hostname).map((l) => `${l.host}:${l.port}`));
  let config: HookstreamConfig | undefined;
  const configs = new Map<string, HookstreamConfig>();
  for (const [name, service, command] of [
    ['topics', topics, 'topics'],
    ['hookstream', hookstream, 'start'],
  ] as const) {
    const context = buildContext(service);
    if (context === undefined) problems.push(`${name}: must be built from the Dockerfile (build: .)`);
    else if (!existsSync(join(ROOT, context, 'Dockerfile'))) problems.push(`${name}: no Dockerfile in build context ${context}`);
    if (service.entrypoint !== undefined) problems.push(`${name}: must not override the image's entrypoint (the hookstream CLI)`);
    const words = commandOf(service);
    if (!words) {
      problems.push(`${name}: command must be a list of words`);
      continue;
    }
    if (words[0] !== command) problems.push(`${name}: command must run "hookstream ${command}", got "${words.join(' ')}"`);
    problems.push(...cliProblems(words, `${name}.command`));
    const parsed = mountedConfig(service, words, name, problems);
    if (parsed) {
      configs.set(name, parsed);
      // The checks below are about the service's own config (metrics, readiness, receivers).
      if (name === 'hookstream') config = parsed;
      for (const broker of parsed.kafka.brokers) if (!inNetwork.has(broker)) problems.push(`${name}: config broker ${broker} is not a listener kafka advertises in the network (${[...inNetwork].join(', ')})`);
    }
  }
  if (topics.image !== hookstream.image) problems.push('topics and hookstream must run the same image');
  const topicsConfig = configs.get('topics');
  const serviceConfig = configs.get('hookstream');
  // topics creates what the service consumes: same topic, tiers and partitions.
  if (topicsConfig && serviceConfig && JSON.stringify([topicsConfig.kafka, topicsConfig.retry]) !== JSON.stringify([serviceConfig.kafka, serviceConfig.retry])) {
    problems.push('topics and hookstream must use the same kafka and retry settings (topics creates what the service consumes)');
  }
  if (condition(topics, 'kafka') !== 'service_healthy') problems.push('topics must wait for kafka to be healthy (depends_on condition service_healthy)');
  if (condition(hookstream, 'topics') !== 'service_completed_successfully') problems.push('hookstream must wait for topics to complete (depends_on condition service_completed_successfully)');
  if (topics.restart !== undefined && topics.restart !== 'no') problems.push('topics is a one-shot service: restart must be "no"');

  if (config) {
    const metricsPort = config.metrics.port;
    if (!config.metrics.enabled) problems.push('docker/config.json: metrics must be enabled (the healthcheck asks /readyz)');
    if (config.metrics.host !== '0.0.0.0') problems.push('docker/config.json: metrics.host must be 0.0.0.0 to be reachable from outside the container');
    if (!portsOf(hookstream).some((p) => p.container === metricsPort)) problems.push(`hookstream: the metrics port ${metricsPort} is not published`);
    const health = healthTest(hookstream);
    if (!health.includes(`:${metricsPort}/readyz`)) problems.push(`hookstream: the healthcheck must ask /readyz on port ${metricsPort}`);
    if (!/\bnode\b/.test(health) || /\bcurl\b/.test(health)) problems.push('hookstream: the healthcheck must use node (the image has no curl)');
    if (durationMs(hookstream.stop_grace_period ?? '10s') <= config.delivery.shutdown_grace_ms) {
      problems.push(`hookstream: stop_grace_period must exceed delivery.shutdown_grace_ms (${config.delivery.shutdown_grace_ms} ms), else Docker kills it mid-shutdown`);
    }

    // -- the receiver: serves the webhook URLs of the config and knows the apps' secrets
    const receiverEnv = envOf(receiver);
    const receiverPort = Number(receiverEnv.PORT ?? 3000);
    const apps = new Set((receiverEnv.RECEIVER_APPS ?? '').split(',').map((p) => p.trim()));
    for (const app of config.apps) {
      if (!apps.has(`${app.key}:${app.secret}`)) problems.push(`receiver: RECEIVER_APPS lacks ${app.key}:<secret of ${app.id}>`);
      for (const webhook of app.webhooks) {
        if (webhook.target.kind !== 'http') continue;
        const url = new URL(webhook.target.url);
        if (!isObj(services[url.hostname])) problems.push(`docker/config.json: webhook ${app.id}/${webhook.id} goes to ${url.host}, which is not a compose service`);
        else if (url.hostname === 'receiver' && Number(url.port || 80) !== receiverPort) problems.push(`docker/config.json: webhook ${app.id}/${webhook.id} uses port ${url.port}, the receiver listens on ${receiverPort}`);
      }
    }
  }
  const receiverCommand = commandOf(receiver) ?? [];
  const script = receiverCommand.find((w) => /\.(m?js)$/.test(w));
  const workdir = String(receiver.working_dir ?? '/');
  const mount = mountsOf(receiver).find((m) => script !== undefined && join(workdir, script).startsWith(m.target + '/'));
  if (receiverCommand[0] !== 'node' || !script || !mount || !existsSync(join(ROOT, mount.source, join(workdir, script).slice(mount.target.length)))) {
    problems.push(`receiver: command ${receiverCommand.join(' ')} must run a script of a mounted folder of this repository`);
  }
  problems.push(...nodeImageProblems('receiver', String(receiver.image ?? ''), (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node));
  if (!healthTest(receiver).includes('/healthz')) problems.push('receiver: needs a healthcheck on /healthz');
  if (condition(hookstream, 'receiver') === undefined) problems.push('hookstream should wait for the receiver');

  // -- the commands its header comment tells people to run
  for (const m of read('docker-compose.yml').matchAll(/^#\s+docker compose run (?:--?\w[\w-]* )*hookstream (.+?)(?: < (\S+))?$/gm)) {
    const words = m[1]!.trim().split(/\s+/);
    problems.push(...cliProblems(words, 'docker-compose.yml comment'));
    if (m[2] && !existsSync(join(ROOT, m[2]))) problems.push(`docker-compose.yml comment: ${m[2]} does not exist`);
  }
  return problems;
}

// ---- Dockerfile -------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { stages: Stage[]; args: Map<string, string> } {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args.set(k!.trim(), (v ?? '').trim());
      continue;
    }
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      const from = (f?.[1] ?? rest).replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get((a ?? b)!) ?? '');
      stages.push({ from, name: f?.[2], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return { stages, args };
}

function jsonArray(args: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Sources of the final stage's COPY instructions from the build context (not `--from`). */
function contextCopies(stages: Stage[]): string[] {
  return stages.flatMap((s) =>
    s.instructions
      .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
      .flatMap((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1);
      }),
  );
}

/**
 * Node majors an image may use: maintained LTS lines that CI runs the tests on. Node 20
 * left maintenance on 2026-04-30; an image on it gets no security fixes.
 */
const IMAGE_NODE_MAJORS = [22, 24];

/** Problems with a `node:<version>[-variant]` image reference against the engines range. */
function nodeImageProblems(where: string, image: string, engines: string): string[] {
  const m = /^node:(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-|$)/.exec(image);
  if (!m) return [`${where} is not an official node image (${image})`];
  const [major, minor, patch] = [Number(m[1]), m[2] === undefined ? Infinity : Number(m[2]), m[3] === undefined ? Infinity : Number(m[3])];
  const min = /(\d+)\.(\d+)\.(\d+)/.exec(engines);
  const problems: string[] = [];
  if (min) {
    const [minMajor, minMinor, minPatch] = [Number(min[1]), Number(min[2]), Number(min[3])];
    const older = major < minMajor || (major === minMajor && (minor < minMinor || (minor === minMinor && patch < minPatch)));
    if (older) problems.push(`${where}: ${image} is older than package.json engines (${engines})`);
  }
  if (!IMAGE_NODE_MAJORS.includes(major)) problems.push(`${where}: ${image} is not a maintained Node line CI tests (${IMAGE_NODE_MAJORS.join(', ')})`);
  return problems;
}

function checkDockerfile(text: string, compose: Obj): string[] {
  const problems: string[] = [];
  const { stages } = parseDockerfile(text);
  if (stages.length < 2) return [`Dockerfile: needs a build stage and a runtime stage, found ${stages.length} stage(s)`];
  const runtime = stages.at(-1)!;
  const builders = stages.slice(0, -1);
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; engines: { node: string } };
  for (const stage of stages) problems.push(...nodeImageProblems(`Dockerfile: stage ${stage.name ?? stage.from}`, stage.from, pkg.engines.node));
  const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const builder = builders.find((s) => runs(s).some((r) => /npm run build\b/.test(r)));
  if (!builder) problems.push('Dockerfile: no stage runs "npm run build"');
  else if (!runs(builder).some((r) => /npm ci\b/.test(r))) problems.push('Dockerfile: the build stage must install with "npm ci" (the lock file)');
  const runtimeRuns = runs(runtime);
  if (!runtimeRuns.some((r) => /npm ci\b.*--omit=dev/.test(r))) problems.push('Dockerfile: the runtime stage must install production dependencies only (npm ci --omit=dev)');
  if (runtimeRuns.some((r) => /npm (ci|install)\b/.test(r) && !/--omit=dev/.test(r))) problems.push('Dockerfile: the runtime stage installs dev dependencies');
  if (runtimeRuns.some((r) => /npm run build|tsc\b/.test(r))) problems.push('Dockerfile: the runtime stage must not compile; it copies dist/src from the build stage');
  const users = runtime.instructions.filter((i) => i.op === 'USER').map((i) => i.args.split(':')[0]!.trim());
  if (users.length === 0 || ['root', '0'].includes(users.at(-1)!)) problems.push('Dockerfile: the runtime stage must end as a non-root USER');
  const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
  const builderName = builder?.name;
  if (!copies.some((c) => builderName !== undefined && c.includes(`--from=${builderName}`) && /dist\/src/.test(c))) problems.push('Dockerfile: the runtime stage must copy dist/src from the build stage');
  for (const needed of ['schemas', 'package.json', 'package-lock.json', 'config.example.json']) {
    if (!copies.some((c) => !c.includes('--from=') && c.split(/\s+/).slice(0, -1).includes(needed))) problems.push(`Dockerfile: the runtime stage must copy ${needed}`);
  }
  for (const source of contextCopies(stages)) if (!existsSync(join(ROOT, source))) problems.push(`Dockerfile: COPY ${source}: no such file in the repository`);

  const entrypoint = runtime.instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1);
  const entry = entrypoint && jsonArray(entrypoint.args);
  const bin = pkg.bin.hookstream!;
  if (!entry || entry.length !== 2 || entry[0] !== 'node' || entry[1] !== bin) problems.push(`Dockerfile: ENTRYPOINT must be ["node", "${bin}"] (package.json bin), got ${entrypoint?.args}`);
  else if (!copies.some((c) => c.includes('dist/src')) || !existsSync(join(ROOT, bin))) problems.push(`Dockerfile: ${bin} is not in the image`);
  const cmdInstruction = runtime.instructions.filter((i) => i.op === 'CMD').at(-1);
  const cmd = cmdInstruction && jsonArray(cmdInstruction.args);
  if (!cmd) problems.push('Dockerfile: CMD must be a JSON list of words');
  else {
    problems.push(...cliProblems(cmd, 'Dockerfile CMD'));
    if (cmd[0] !== 'start') problems.push(`Dockerfile: CMD must run the service (start), got ${cmd.join(' ')}`);
    const hookstream = isObj(compose.services) && isObj(compose.services.hookstream) ? compose.services.hookstream : {};
    const mounted = mountsOf(hookstream).map((m) => m.target);
    const path = configFlag(cmd);
    if (path === undefined || !mounted.includes(path)) problems.push(`Dockerfile: CMD's --config ${path} is not where docker-compose.yml mounts the config (${mounted.join(', ')})`);
  }
  return problems;
}

// ---- .dockerignore ----------------------------------------------------------------------

function ignoredBy(patterns: readonly string[], path: string): string | undefined {
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '');
  return patterns.find((p) => {
    const pattern = p.replace(/^\//, '').replace(/\/$/, '');
    if (!pattern.includes('*')) return clean === pattern || clean.startsWith(pattern + '/');
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '.*').replace(/\*/g, '[^/]*')}$`);
    return re.test(clean) || re.test(clean.split('/').pop()!);
  });
}

function checkDockerignore(ignore: string, dockerfile: string): string[] {
  const problems: string[] = [];
  const patterns = ignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) problems.push('.dockerignore: exceptions (!) are not understood by this check; keep the file a plain list');
  for (const needed of ['node_modules', 'dist', '.git']) if (!ignoredBy(patterns, needed)) problems.push(`.dockerignore: ${needed} must be ignored (the image builds its own)`);
  for (const source of contextCopies(parseDockerfile(dockerfile).stages)) {
    const by = ignoredBy(patterns, source);
    if (by) problems.push(`.dockerignore: "${by}" ignores ${source}, which the Dockerfile copies`);
  }
  return problems;
}

// ---- the tests ----------------------------------------------------------------------------

test('docker-compose.yml: kafka (KRaft), topics one-shot, hookstream and receiver fit together and run real CLI commands', () => {
  assert.deepEqual(checkCompose(loadCompose()), []);
});

test('Dockerfile: multi-stage, production dependencies only, non-root, the CLI as entrypoint', () => {
  assert.deepEqual(checkDockerfile(read('Dockerfile'), loadCompose()), []);
});

test('.dockerignore keeps node_modules and dist out and everything the Dockerfile copies in', () => {
  assert.deepEqual(checkDockerignore(read('.dockerignore'), read('Dockerfile')), []);
});

test('docker/config.json is a valid config and docker/events.ndjson valid events of its apps', () => {
  const config = parseConfig(JSON.parse(read('docker/config.json')));
  assert.deepEqual(config.kafka.brokers, ['kafka:9092']);
  const appIds = new Set(config.apps.map((a) => a.id));
  const lines = read('docker/events.ndjson').split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length > 0);
  lines.forEach((line, i) => {
    const event = validateEvent(JSON.parse(line), { id: () => `id-${i}`, timeMs: () => 1, nodeId: 'test' });
    assert.ok(appIds.has(event.app_id), `line ${i + 1}: app ${event.app_id} is not in docker/config.json`);
  });
});

test('the CLI check refuses unknown commands, unknown flags and wrong subcommands', () => {
  assert.deepEqual(cliProblems(['start', '--config', '/x.json'], 'ok'), []);
  assert.match(cliProblems(['serve', '--config', '/x.json'], 'c').join(), /"serve" is not a hookstream command/);
  assert.match(cliProblems(['start', '--conf', '/x.json'], 'c').join(), /refused by the CLI/);
  assert.match(cliProblems(['topics', 'make', '--config', '/x.json'], 'c').join(), /hookstream topics make" is not what the usage/);
});

test('the compose check finds broken services', () => {
  const base = loadCompose();
  const broken = (mutate: (services: Record<string, Obj>) => void): string => {
    const copy = clone(base);
    mutate(copy.services as Record<string, Obj>);
    return checkCompose(copy).join('\n');
  };
  assert.match(broken((s) => delete s.receiver), /services\.receiver is missing/);
  assert.match(broken((s) => (s.hookstream!.command = ['start', '--cfg', '/etc/hookstream/config.json'])), /hookstream\.command: "hookstream start --cfg/);
  assert.match(broken((s) => (s.topics!.command = ['topic', 'create', '--config', '/etc/hookstream/config.json'])), /"topic" is not a hookstream command/);
  assert.match(broken((s) => (s.hookstream!.command = ['start', '--config', '/etc/other.json'])), /--config \/etc\/other\.json is not a mounted file/);
  assert.match(broken((s) => ((s.topics!.depends_on as Obj).kafka = { condition: 'service_started' })), /topics must wait for kafka to be healthy/);
  assert.match(broken((s) => ((s.hookstream!.depends_on as Obj).topics = { condition: 'service_started' })), /hookstream must wait for topics to complete/);
  assert.match(broken((s) => delete s.hookstream!.healthcheck), /healthcheck must ask \/readyz/);
  assert.match(broken((s) => (s.hookstream!.ports = ['9602:9602'])), /metrics port 9601 is not published/);
  assert.match(broken((s) => (s.kafka!.image = 'apache/kafka:3.9.0')), /kafka\.image is apache\/kafka:3\.9\.0/);
  assert.match(broken((s) => delete (s.kafka!.environment as Obj).KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR), /KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR must be 1/);
  assert.match(broken((s) => ((s.kafka!.environment as Obj).KAFKA_ADVERTISED_LISTENERS = 'PLAINTEXT://broker:9092,EXTERNAL://localhost:9094')), /config broker kafka:9092 is not a listener/);
  assert.match(broken((s) => (s.kafka!.ports = ['29094:9094'])), /must be published as 9094:9094/);
  assert.match(broken((s) => delete s.kafka!.healthcheck), /kafka-broker-api-versions/);
  assert.match(broken((s) => ((s.receiver!.environment as Obj).PORT = '8080')), /the receiver listens on 8080/);
  assert.match(broken((s) => ((s.receiver!.environment as Obj).RECEIVER_APPS = 'demo-key:wrong')), /RECEIVER_APPS lacks demo-key/);
  assert.match(broken((s) => (s.receiver!.command = ['node', 'missing.mjs'])), /must run a script of a mounted folder/);
  assert.match(broken((s) => (s.hookstream!.stop_grace_period = '10s')), /stop_grace_period must exceed/);
  assert.match(broken((s) => (s.topics!.volumes = ['./config.example.json:/etc/hookstream/config.json:ro'])), /topics and hookstream must use the same kafka and retry settings/);
  assert.match(broken((s) => (s.receiver!.image = 'node:20-alpine')), /receiver: node:20-alpine is not a maintained Node line/);
});

test('the Dockerfile and .dockerignore checks find broken files', () => {
  const dockerfile = read('Dockerfile');
  const compose = loadCompose();
  const check = (text: string): string => checkDockerfile(text, compose).join('\n');
  const runtimeAt = dockerfile.lastIndexOf('\nFROM ');
  assert.match(check(dockerfile.slice(runtimeAt)), /needs a build stage and a runtime stage/);
  assert.match(check(dockerfile.replace(/^USER node$/m, 'USER root')), /non-root USER/);
  assert.match(check(dockerfile.replace(/^USER node$/m, '')), /non-root USER/);
  assert.match(check(dockerfile.replace('npm ci --omit=dev', 'npm ci')), /production dependencies only/);
  assert.match(check(dockerfile.replace('COPY --from=build /app/dist/src ./dist/src', '')), /copy dist\/src from the build stage/);
  assert.match(check(dockerfile.replace('COPY schemas ./schemas', '')), /must copy schemas/);
  assert.match(check(dockerfile.replace('"dist/src/cli/main.js"]', '"dist/cli.js"]')), /ENTRYPOINT must be/);
  assert.match(check(dockerfile.replace('CMD ["start", "--config"', 'CMD ["run", "--config"')), /"run" is not a hookstream command/);
  assert.match(check(dockerfile.replace('ARG NODE_IMAGE=node:24-alpine', 'ARG NODE_IMAGE=node:18-alpine')), /older than package\.json engines/);
  assert.match(check(dockerfile.replace('ARG NODE_IMAGE=node:24-alpine', 'ARG NODE_IMAGE=node:20.17-alpine')), /older than package\.json engines/);
  assert.match(check(dockerfile.replace('ARG NODE_IMAGE=node:24-alpine', 'ARG NODE_IMAGE=node:20-alpine')), /not a maintained Node line/);
  assert.equal(check(dockerfile.replace('ARG NODE_IMAGE=node:24-alpine', 'ARG NODE_IMAGE=node:22.12-alpine')), '');
  assert.match(checkDockerignore(`${read('.dockerignore')}\nschemas\n`, dockerfile).join('\n'), /ignores schemas/);
  assert.match(checkDockerignore(read('.dockerignore').replace(/^node_modules$/m, ''), dockerfile).join('\n'), /node_modules must be ignored/);
});

// ---- the example receiver -----------------------------------------------------------------

async function startExampleReceiver(verify: 'pusher' | 'hmac'): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'examples/receiver/server.mjs')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VERIFY: verify, RECEIVER_APPS: 'k1:s1,k2:s2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  let listening: { listening: string; verify: string } | undefined;
  try {
    while (!listening) {
      const line = output.split('\n').find((l) => l.includes('"listening"'));
      if (line) listening = JSON.parse(line) as { listening: string; verify: string };
      else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`example receiver did not start: ${output}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(listening.verify, verify);
  } catch (err) {
    // Not handed to the test yet, so nothing else would stop it.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return {
    url: listening.listening,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

for (const verify of ['pusher', 'hmac'] as const) {
  test(`examples/receiver accepts hookstream's signed requests and rejects others (verify with ${verify})`, async (t) => {
    const receiver = await startExampleReceiver(verify);
    t.after(() => receiver.stop());
    const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_occupied', channel: 'room-1', id: 'e1' }] });
    const post = async (headers: Record<string, string>, payload = body): Promise<number> =>
      (await fetch(`${receiver.url}/webhooks`, { method: 'POST', headers, body: payload })).status;
    const signed = signedHeaders({ body, app: { key: 'k2', secret: 's2' }, deliveryId: 'd1', attempt: 1 });

    assert.equal((await fetch(`${receiver.url}/healthz`)).status, 200);
    assert.equal(await post(signed), 200);
    assert.equal(await post(signed, body.replace('room-1', 'room-2')), 401, 'a changed body');
    assert.equal(await post({ ...signed, 'X-Pusher-Signature': signed['X-Pusher-Signature']!.toUpperCase() }), 401, 'an upper-case signature');
    assert.equal(await post({ ...signed, 'Content-Type': 'application/json; charset=utf-8' }), 401, 'another content type');
    assert.equal(await post(signedHeaders({ body, app: { key: 'k2', secret: 's1' }, deliveryId: 'd2', attempt: 1 })), 401, 'the wrong secret');
    assert.equal(await post(signedHeaders({ body, app: { key: 'k3', secret: 's2' }, deliveryId: 'd3', attempt: 1 })), 401, 'an unknown key');
    assert.match(receiver.output(), /"event":\{"name":"channel_occupied","channel":"room-1","id":"e1"\}/);
  });
}

/**
 * `hookstream demo`: the whole path on one machine, watched live.
 *
 *   3 simulated socket-server nodes ──► Kafka ──► HookstreamService ──► 2 local receivers
 *   (createProducer, nodeId ws-node-N)   (local     (in this process,     (node:http, check every
 *                                         broker)    3 apps x 2 webhooks)  signature, one fails 5%)
 *
 * The broker: the one named by `brokers` / KAFKA_BROKERS (never started here), else the one
 * answering at 127.0.0.1:9092, else the local broker of src/kafka/local is started and, unless
 * `keepKafka`, stopped again at the end. Each run uses topics and groups of its own and
 * deletes them when it ends, so runs never see each other's events.
 *
 * Signatures are checked with node:crypto exactly as the official `pusher` SDK's
 * `webhook().isValid()` does (Content-Type exactly application/json, a JSON body, the key
 * known, lowercase hex HMAC-SHA256 of the raw body compared in constant time), because the
 * SDK is only a devDependency and this runs from an installed package too.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Counter } from 'prom-client';
import { brokersFromEnv, parseConfig } from '../config/index.js';
import type { HookstreamConfig } from '../config/types.js';
import { KNOWN_EVENT_NAMES } from '../contract/types.js';
import { HookstreamError, errorMessage } from '../errors.js';
import { createKafka, noBrokerMessage } from '../kafka/client.js';
import { allTopics, ensureTopics, topicNames } from '../kafka/topics.js';
import type { Logger } from '../observability/logger.js';
import { HookstreamService } from '../pipeline/service.js';
import { createProducer, type Producer, type PublishEvent } from '../producer/index.js';

export interface DemoOptions {
  /**
   * Publish for this many seconds once the broker, topics and service are up, then stop by
   * itself; without it the demo runs until `signal` aborts.
   */
  durationS?: number;
  /** Bootstrap brokers; else KAFKA_BROKERS; else 127.0.0.1:9092, started locally when nothing answers. */
  brokers?: string[];
  /** Events per second published by the three nodes together. @defaultValue 200 */
  rate?: number;
  /** Share of requests the flaky receiver answers with 503. @defaultValue 0.05 */
  failRate?: number;
  /** Events topic. @defaultValue `hookstream.demo.<run id>` */
  topic?: string;
  /** Keep the run's topics and groups instead of deleting them. @defaultValue false */
  keepTopics?: boolean;
  /** Leave a broker that the demo started running. @defaultValue false (it is stopped) */
  keepKafka?: boolean;
  /** Where the screen goes. */
  out: NodeJS.WritableStream;
  /** Refresh one screen in place (ANSI); else one plain line per second. */
  live: boolean;
  /** The service's, producers' and kafkajs' logs (JSON lines). */
  logFile: string;
  /** Aborting stops the demo cleanly (Ctrl-C). */
  signal?: AbortSignal;
  /** Environment for KAFKA_BROKERS and LOG_LEVEL. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Seconds between screen refreshes. @defaultValue 1 */
  refreshS?: number;
}

export interface DemoSummary {
  /** Seconds from the start of the demo (broker, topics, service) to the end of its cleanup. */
  elapsedS: number;
  /** Seconds the nodes published (what --duration sets). */
  trafficS: number;
  brokers: string;
  /** The demo started the local broker. */
  brokerStarted: boolean;
  /** ...and stopped it again at the end. */
  brokerStopped: boolean;
  topic: string;
  /** Events the broker acknowledged. */
  published: number;
  /** Events whose publish failed. */
  publishFailed: number;
  /** Events in requests the receivers accepted (valid signature, answered 2xx); one event can go to two webhooks. */
  delivered: number;
  /** Requests that reached the receivers (any answer). */
  requests: number;
  /** Delivery attempts the service made (its hookstream_webhook_deliveries_total). */
  batches: number;
  /** Requests the flaky receiver answered with 503 on purpose. */
  failedOnPurpose: number;
  /** Batches handed to a retry tier. */
  retries: number;
  /** Batches or events sent to the dead-letter topic. */
  deadLetters: number;
  /** Requests whose signature (or content type, key, body) the receivers rejected; should be 0. */
  invalidSignatures: number;
  /** Event latency over the whole run: receiver arrival minus the event's time_ms. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Seconds from the start of the demo to the first accepted request. */
  firstDeliveryAfterS: number | null;
  /** Events consumed but not finished when the service was closed. */
  inFlightAtEnd: number;
}

const DEFAULT_BROKER = '127.0.0.1:9092';
const NODE_COUNT = 3;
const PARTITIONS = 6;
const RETRY_DELAYS_MS = [1000, 2000, 4000];
const TICK_MS = 100;
/** Apps of the demo: id, and what its users do. */
const APPS = [
  { id: 'chat', key: 'chat-key' },
  { id: 'game', key: 'game-key' },
  { id: 'dashboard', key: 'dashboard-key' },
] as const;

// ---- latency -------------------------------------------------------------------------

/** Exact to the millisecond up to 60 s (the rest counts as 60 s): percentiles without sorting. */
export class LatencyHistogram {
  static readonly MAX_MS = 60_000;
  readonly #counts = new Uint32Array(LatencyHistogram.MAX_MS + 1);
  #n = 0;

  get count(): number {
    return this.#n;
  }

  record(ms: number): void {
    const i = Math.min(LatencyHistogram.MAX_MS, Math.max(0, Math.round(ms)));
    this.#counts[i]!++;
    this.#n++;
  }

  /** The smallest latency that at least `q` of the samples do not exceed; null when empty. */
  quantile(q: number): number | null {
    if (this.#n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#n));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i;
    }
    return LatencyHistogram.MAX_MS;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#n = 0;
  }
}

// ---- receivers -----------------------------------------------------------------------

export type VerifyResult = { ok: true; body: { time_ms?: unknown; events?: unknown } } | { ok: false; reason: string };

/**
 * What the `pusher` SDK's `webhook({ headers, rawBody }).isValid()` decides, with node:crypto:
 * Content-Type exactly `application/json`, a body that parses as JSON, an `X-Pusher-Key`
 * that names a known app, and `X-Pusher-Signature` equal to the lowercase hex HMAC-SHA256
 * of the raw body keyed with that app's secret (compared in constant time).
 */
export function verifyWebhook(headers: IncomingHttpHeaders, rawBody: Buffer, secrets: ReadonlyMap<string, string>): VerifyResult {
  if (headers['content-type'] !== 'application/json') return { ok: false, reason: `content-type ${String(headers['content-type'])}` };
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const key = headers['x-pusher-key'];
  const secret = typeof key === 'string' ? secrets.get(key) : undefined;
  if (secret === undefined) return { ok: false, reason: `unknown key ${String(key)}` };
  const signature = headers['x-pusher-signature'];
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'latin1');
  const given = typeof signature === 'string' ? Buffer.from(signature, 'latin1') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, body: (typeof body === 'object' && body !== null ? body : {}) as { time_ms?: unknown; events?: unknown } };
}

interface ReceiverStats {
  requests: number;
  accepted: number;
  events: number;
  invalid: number;
  failedOnPurpose: number;
  firstAcceptedAt: number | null;
}

/** A webhook receiver as an application would run one: checks every signature, answers 200. */
class DemoReceiver {
  readonly stats: ReceiverStats = { requests: 0, accepted: 0, events: 0, invalid: 0, failedOnPurpose: 0, firstAcceptedAt: null };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #failRate: number;
  readonly #latency: LatencyHistogram[];
  readonly #log: Logger;
  lastInvalidReason: string | undefined;

  constructor(options: { secrets: ReadonlyMap<string, string>; failRate: number; latency: LatencyHistogram[]; logger: Logger }) {
    this.#secrets = options.secrets;
    this.#failRate = options.failRate;
    this.#latency = options.latency;
    this.#log = options.logger;
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      this.stats.requests++;
      const verdict = verifyWebhook(req.headers, Buffer.concat(chunks), this.#secrets);
      if (!verdict.ok) {
        this.stats.invalid++;
        this.lastInvalidReason = verdict.reason;
        this.#log.error({ path: req.url, reason: verdict.reason }, 'demo receiver: invalid webhook request');
        res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid: ${verdict.reason}\n`);
        return;
      }
      if (this.#failRate > 0 && Math.random() < this.#failRate) {
        this.stats.failedOnPurpose++;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('failing on purpose, try again\n');
        return;
      }
      const events = Array.isArray(verdict.body.events) ? (verdict.body.events as Array<{ time_ms?: unknown }>) : [];
      for (const event of events) {
        if (typeof event.time_ms === 'number') for (const h of this.#latency) h.record(arrivedAt - event.time_ms);
      }
      this.stats.accepted++;
      this.stats.events += events.length;
      this.stats.firstAcceptedAt ??= arrivedAt;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

// ---- simulated socket servers ----------------------------------------------------------

interface SimSocket {
  id: string;
  node: number;
  app: string;
  userId: string;
  channels: Set<string>;
}

interface SimChannel {
  sockets: Set<string>;
  /** user id → how many of the user's sockets are in the (presence) channel */
  members: Map<string, number>;
}

export interface NodeEvent {
  /** 0-based node index. */
  node: number;
  event: PublishEvent;
}

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Alan', 'Radia', 'Edsger', 'Hedy'];

/**
 * A small Pusher-like cluster: sockets connect to one of the nodes, subscribe to public,
 * private and presence channels, send client events and leave. Channel occupancy and
 * presence membership are cluster-wide, as in Pusher, and every event is published by the
 * node that holds the socket it is about. The events obey the contract's field rules.
 */
export class ClusterSimulator {
  readonly #apps: readonly string[];
  readonly #nodes: number;
  readonly #sockets = new Map<string, SimSocket[]>();
  readonly #channels = new Map<string, SimChannel>();
  #out: NodeEvent[] = [];

  constructor(apps: readonly string[], nodes: number) {
    this.#apps = apps;
    this.#nodes = nodes;
    for (const app of apps) this.#sockets.set(app, []);
  }

  /** At least `count` events (an action can emit several), in the order they happened. */
  next(count: number): NodeEvent[] {
    this.#out = [];
    while (this.#out.length < count) this.#step();
    return this.#out;
  }

  #step(): void {
    const app = this.#apps[randomInt(this.#apps.length)]!;
    const sockets = this.#sockets.get(app)!;
    const r = Math.random();
    if (sockets.length < 15 || (r < 0.12 && sockets.length < 150)) this.#connect(app);
    else if (r < 0.22 || sockets.length >= 150) this.#disconnect(app, sockets[randomInt(sockets.length)]!);
    else if (r < 0.37) this.#subscribe(sockets[randomInt(sockets.length)]!);
    else if (r < 0.47) this.#unsubscribeOne(sockets[randomInt(sockets.length)]!);
    else this.#clientEvent(sockets[randomInt(sockets.length)]!);
  }

  #emit(socket: Pick<SimSocket, 'node' | 'app'>, event: Omit<PublishEvent, 'app_id'>): void {
    this.#out.push({ node: socket.node, event: { app_id: socket.app, ...event } });
  }

  #connect(app: string): void {
    const socket: SimSocket = {
      id: `${randomInt(1e6, 1e9)}.${randomInt(1e6, 1e9)}`,
      node: randomInt(this.#nodes),
      app,
      userId: `user-${randomInt(1, 60)}`,
      channels: new Set(),
    };
    this.#sockets.get(app)!.push(socket);
    this.#emit(socket, { name: 'connection_established', socket_id: socket.id });
    const subscriptions = randomInt(1, 4);
    for (let i = 0; i < subscriptions; i++) this.#subscribe(socket);
  }

  #disconnect(app: string, socket: SimSocket): void {
    for (const channel of [...socket.channels]) this.#unsubscribe(socket, channel);
    const list = this.#sockets.get(app)!;
    list.splice(list.indexOf(socket), 1);
    this.#emit(socket, { name: 'connection_terminated', socket_id: socket.id });
  }

  #subscribe(socket: SimSocket): void {
    const kind = randomInt(3);
    const channel =
      // Many small public rooms besides a few busy ones, so channels also empty (channel_vacated).
      kind === 0 ? `room-${randomInt(1, 40)}` : kind === 1 ? `private-${socket.app}-${randomInt(1, 5)}` : `presence-lobby-${randomInt(1, 4)}`;
    if (socket.channels.has(channel)) return;
    socket.channels.add(channel);
    const key = `${socket.app}\u0000${channel}`;
    let state = this.#channels.get(key);
    if (!state) {
      state = { sockets: new Set(), members: new Map() };
      this.#channels.set(key, state);
    }
    state.sockets.add(socket.id);
    if (state.sockets.size === 1) this.#emit(socket, { name: 'channel_occupied', channel });
    if (channel.startsWith('presence-')) {
      const sockets = (state.members.get(socket.userId) ?? 0) + 1;
      state.members.set(socket.userId, sockets);
      if (sockets === 1) {
        const name = FIRST_NAMES[Number(socket.userId.slice(5)) % FIRST_NAMES.length]!;
        this.#emit(socket, {
          name: 'member_added',
          channel,
          user_id: socket.userId,
          data: JSON.stringify({ user_id: socket.userId, user_info: { name, avatar: `https://example.com/avatars/${socket.userId}.png` } }),
        });
      }
    } else {
      this.#emit(socket, { name: 'subscription_count', channel, subscription_count: state.sockets.size });
    }
  }

  #unsubscribeOne(socket: SimSocket): void {
    const channels = [...socket.channels];
    if (channels.length === 0) {
      this.#subscribe(socket);
      return;
    }
    this.#unsubscribe(socket, channels[randomInt(channels.length)]!);
  }

  #unsubscribe(socket: SimSocket, channel: string): void {
    socket.channels.delete(channel);
    const key = `${socket.app}\u0000${channel}`;
    const state = this.#channels.get(key)!;
    state.sockets.delete(socket.id);
    if (channel.startsWith('presence-')) {
      const left = (state.members.get(socket.userId) ?? 1) - 1;
      if (left === 0) {
        state.members.delete(socket.userId);
        this.#emit(socket, { name: 'member_removed', channel, user_id: socket.userId });
      } else {
        state.members.set(socket.userId, left);
      }
    } else if (state.sockets.size > 0) {
      this.#emit(socket, { name: 'subscription_count', channel, subscription_count: state.sockets.size });
    }
    if (state.sockets.size === 0) {
      this.#channels.delete(key);
      this.#emit(socket, { name: 'channel_vacated', channel });
    }
  }

  #clientEvent(socket: SimSocket): void {
    const channels = [...socket.channels].filter((c) => c.startsWith('private-') || c.startsWith('presence-'));
    if (channels.length === 0) {
      this.#subscribe(socket);
      return;
    }
    const channel = channels[randomInt(channels.length)]!;
    const presence = channel.startsWith('presence-');
    const pick = randomInt(3);
    const [event, data] =
      pick === 0
        ? ['client-typing', { typing: true }]
        : pick === 1
          ? ['client-message', { text: `message ${randomBytes(3).toString('hex')}`, sent_at: Date.now() }]
          : ['client-cursor', { x: randomInt(1920), y: randomInt(1080) }];
    this.#emit(socket, {
      name: 'client_event',
      channel,
      event,
      data: JSON.stringify(data),
      socket_id: socket.id,
      ...(presence ? { user_id: socket.userId } : {}),
    });
  }
}

// ---- the demo --------------------------------------------------------------------------

interface Totals {
  at: number;
  published: number;
  delivered: number;
  batches: number;
}

/** Runs the demo until `durationS` passes or `signal` aborts; resolves after everything it started has stopped. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const env = options.env ?? process.env;
  const rate = options.rate ?? 200;
  const failRate = options.failRate ?? 0.05;
  const refreshMs = Math.round((options.refreshS ?? 1) * 1000);
  const out = options.out;
  const startedAt = Date.now();
  const say = (line: string): void => void out.write(`${line}\n`);
  const aborted = (): boolean => options.signal?.aborted === true;

  mkdirSync(dirname(options.logFile), { recursive: true });
  const destination = pino.destination({ dest: options.logFile, sync: true });
  const logger = pino({ name: 'hookstream-demo', level: env.LOG_LEVEL ?? 'info' }, destination);

  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const topic = options.topic ?? `hookstream.demo.${runId}`;
  const summary: DemoSummary = {
    elapsedS: 0,
    trafficS: 0,
    brokers: '',
    brokerStarted: false,
    brokerStopped: false,
    topic,
    published: 0,
    publishFailed: 0,
    delivered: 0,
    requests: 0,
    batches: 0,
    failedOnPurpose: 0,
    retries: 0,
    deadLetters: 0,
    invalidSignatures: 0,
    p50Ms: null,
    p99Ms: null,
    firstDeliveryAfterS: null,
    inFlightAtEnd: 0,
  };
  /** Undone newest first, whatever happens. */
  const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  const notes: string[] = [];
  let screen: NodeJS.Timeout | undefined;
  let generator: NodeJS.Timeout | undefined;
  let stopScreen = (): void => undefined;
  /** Reads the counters into `summary`; set once the service runs. */
  let readTotals: (() => Promise<void>) | undefined;

  try {
    // -- broker
    const explicit = options.brokers ?? brokersFromEnv(env);
    let brokers: string[];
    if (explicit) {
      brokers = explicit;
      const source = options.brokers ? '--brokers' : 'KAFKA_BROKERS';
      if (!(await probeBroker(brokers[0]!))) {
        throw new HookstreamError('HS_PRECONDITION', `${noBrokerMessage(brokers, source)}; the demo starts a broker only when neither --brokers nor KAFKA_BROKERS is given`);
      }
      notes.push(`Kafka      ${brokers.join(',')} (from ${source}; nothing started)`);
    } else {
      brokers = [DEFAULT_BROKER];
      if (await probeBroker(DEFAULT_BROKER)) {
        notes.push(`Kafka      ${DEFAULT_BROKER}, already running (not started by the demo, left running)`);
      } else {
        const local = await import('../kafka/local/index.js');
        say(`No Kafka broker answers at ${DEFAULT_BROKER}: starting the local one (as "hookstream kafka start" does; the first run fetches its jars with Maven)...`);
        const started = await local.start({ port: 9092, signal: options.signal, onProgress: (m) => say(`  ${m}`) });
        if (started.alreadyRunning) {
          notes.push(`Kafka      ${started.brokers}, already running (pid ${started.pid}; not started by the demo, left running)`);
        } else {
          summary.brokerStarted = true;
          say(`Kafka started at ${started.brokers} in ${(started.startupMs / 1000).toFixed(1)} s (pid ${started.pid}, dir ${started.dir})`);
          notes.push(
            `Kafka      ${started.brokers}, started by the demo (pid ${started.pid}); ${options.keepKafka ? 'left running at the end: stop it with "hookstream kafka stop"' : 'stopped when the demo ends (--keep-kafka keeps it)'}`,
          );
          cleanups.push({
            what: 'the local Kafka broker',
            run: async () => {
              if (options.keepKafka) {
                say(`Kafka is still running at ${started.brokers} (pid ${started.pid}): stop it with "hookstream kafka stop"`);
                return;
              }
              say('stopping the Kafka broker the demo started...');
              await local.stop({ dir: started.dir });
              summary.brokerStopped = true;
              say(`Kafka stopped (pid ${started.pid})`);
            },
          });
        }
      }
    }
    summary.brokers = brokers.join(',');
    if (aborted()) return summary;

    // -- receivers
    const secrets = new Map(APPS.map((a) => [a.key, secretOf(a.id)]));
    const totalLatency = new LatencyHistogram();
    const windowLatency = new LatencyHistogram();
    const main = new DemoReceiver({ secrets, failRate: 0, latency: [totalLatency, windowLatency], logger });
    const flaky = new DemoReceiver({ secrets, failRate, latency: [totalLatency, windowLatency], logger });
    const receivers = [main, flaky];
    const mainUrl = await main.listen();
    cleanups.push({ what: 'receiver', run: () => main.close() });
    const flakyUrl = await flaky.listen();
    cleanups.push({ what: 'receiver', run: () => flaky.close() });
    notes.push(`Receivers  ${mainUrl} (every event)   ${flakyUrl} (presence channels; ${pct(failRate)} answered 503)`);

    // -- config and topics
    const config = demoConfig({ brokers, topic, groupId: `hookstream-demo-${runId}`, mainUrl, flakyUrl });
    const names = topicNames(config);
    const admin = createKafka({ brokers, clientId: 'hookstream-demo-admin', logger }).admin();
    await admin.connect();
    cleanups.push({ what: 'admin client', run: () => admin.disconnect() });
    await ensureTopics(admin, config);
    if (!options.keepTopics) {
      cleanups.push({
        what: 'demo topics',
        run: async () => {
          await admin.deleteTopics({ topics: allTopics(names) });
          await admin.deleteGroups([config.kafka.group_id, `${config.kafka.group_id}.retry`]).catch(() => undefined);
        },
      });
    }
    notes.push(
      `Topics     ${names.events} (${PARTITIONS} partitions), ${names.retries.map((r) => r.name.slice(names.events.length + 1)).join(', ')}, dlq; ${options.keepTopics ? 'kept' : 'deleted'} at the end`,
    );
    if (aborted()) return summary;

    // -- the service
    const service = new HookstreamService({ config, logger, commitIntervalMs: 500 });
    cleanups.push({
      what: 'hookstream service',
      run: async () => {
        summary.inFlightAtEnd = service.inFlightEvents;
        await service.close();
      },
    });
    await service.start();
    notes.push(`Service    in this process: ${APPS.length} apps x 2 webhooks, batches of 50 ms; metrics http://127.0.0.1:${service.metricsPort}/metrics`);
    if (aborted()) return summary;

    // -- the socket-server nodes
    const producers: Producer[] = [];
    for (let i = 0; i < NODE_COUNT; i++) {
      const producer = createProducer({ brokers, topic, nodeId: `ws-node-${i + 1}`, clientId: `hookstream-demo-ws-node-${i + 1}`, logger });
      producers.push(producer);
    }
    cleanups.push({
      what: 'producers',
      run: async () => {
        await Promise.allSettled(producers.map((p) => p.flush()));
        await Promise.allSettled(producers.map((p) => p.close()));
        // Give the last deliveries a moment, so the summary counts them.
        await waitFor(() => service.inFlightEvents === 0, 5_000);
      },
    });
    notes.push(`Nodes      ${producers.map((_, i) => `ws-node-${i + 1}`).join(', ')}: ${rate} events/s for apps ${APPS.map((a) => a.id).join(', ')}`);
    notes.push(`Logs       ${options.logFile}`);

    const simulator = new ClusterSimulator(
      APPS.map((a) => a.id),
      NODE_COUNT,
    );
    let credit = 0;
    let lastTick = Date.now();
    let pending = 0;
    const publish = (): void => {
      const now = Date.now();
      credit += ((now - lastTick) / 1000) * rate;
      lastTick = now;
      // Do not pile up work when the broker is slower than the rate.
      if (credit < 1 || pending > rate * 5) return;
      const events = simulator.next(Math.floor(credit));
      credit -= events.length;
      const byNode: PublishEvent[][] = producers.map(() => []);
      for (const e of events) byNode[e.node]!.push(e.event);
      byNode.forEach((batch, node) => {
        if (batch.length === 0) return;
        pending += batch.length;
        producers[node]!.publishMany(batch).then(
          () => {
            pending -= batch.length;
            summary.published += batch.length;
          },
          (err: unknown) => {
            pending -= batch.length;
            summary.publishFailed += batch.length;
            logger.warn({ err: errorMessage(err), node: `ws-node-${node + 1}` }, 'demo publish failed');
          },
        );
      });
    };
    generator = setInterval(publish, TICK_MS);
    const traffic: { startedAt: number; endedAt?: number } = { startedAt: Date.now() };

    // -- the screen
    const read = async (): Promise<void> => {
      summary.batches = await counterTotal(service.metrics.deliveries);
      summary.retries = await counterTotal(service.metrics.retries);
      summary.deadLetters = await counterTotal(service.metrics.deadLettered);
      summary.delivered = sum(receivers, (r) => r.stats.events);
      summary.requests = sum(receivers, (r) => r.stats.requests);
      summary.invalidSignatures = sum(receivers, (r) => r.stats.invalid);
      summary.failedOnPurpose = sum(receivers, (r) => r.stats.failedOnPurpose);
      summary.p50Ms = totalLatency.quantile(0.5);
      summary.p99Ms = totalLatency.quantile(0.99);
      const first = Math.min(...receivers.map((r) => r.stats.firstAcceptedAt ?? Infinity));
      summary.firstDeliveryAfterS = Number.isFinite(first) ? round1((first - startedAt) / 1000) : null;
      summary.elapsedS = round1((Date.now() - startedAt) / 1000);
      summary.trafficS = round1(((traffic.endedAt ?? Date.now()) - traffic.startedAt) / 1000);
    };
    readTotals = read;
    let previous: Totals = { at: Date.now(), published: 0, delivered: 0, batches: 0 };
    let rendering = false;
    const render = async (): Promise<void> => {
      if (rendering) return;
      rendering = true;
      try {
        await read();
        const now: Totals = { at: Date.now(), published: summary.published, delivered: summary.delivered, batches: summary.batches };
        const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
        const perS = {
          published: (now.published - previous.published) / seconds,
          delivered: (now.delivered - previous.delivered) / seconds,
          batches: (now.batches - previous.batches) / seconds,
          p50: windowLatency.quantile(0.5),
          p99: windowLatency.quantile(0.99),
        };
        windowLatency.reset();
        previous = now;
        if (options.live) {
          out.write(`\x1b[H\x1b[2J${screenText(summary, perS, notes, service.inFlightEvents, options.durationS, flaky.lastInvalidReason ?? main.lastInvalidReason)}`);
        } else {
          say(plainLine(summary, perS, service.inFlightEvents));
        }
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'demo screen refresh failed');
      } finally {
        rendering = false;
      }
    };
    if (options.live) out.write('\x1b[?25l');
    else for (const note of notes) say(note);
    stopScreen = () => {
      if (screen === undefined) return;
      clearInterval(screen);
      screen = undefined;
      if (options.live) out.write('\x1b[?25h');
    };
    screen = setInterval(() => void render(), refreshMs);

    // -- run until the time is up or Ctrl-C
    await new Promise<void>((resolve) => {
      const timer = options.durationS === undefined ? undefined : setTimeout(resolve, options.durationS * 1000);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    clearInterval(generator);
    traffic.endedAt = Date.now();
    await render();
    stopScreen();
    say('');
    say('stopping: flushing the producers, letting the service finish, closing the receivers...');
    return summary;
  } finally {
    clearInterval(generator);
    stopScreen();
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (err) {
        say(`could not stop ${step.what}: ${errorMessage(err)}`);
      }
    }
    // The counters again: deliveries went on while the producers flushed and the service closed.
    await readTotals?.().catch(() => undefined);
    summary.elapsedS = round1((Date.now() - startedAt) / 1000);
    destination.end();
  }
}

/** The demo's in-memory configuration: per app one webhook for every event and one, filtered, for presence channels. */
function demoConfig(o: { brokers: string[]; topic: string; groupId: string; mainUrl: string; flakyUrl: string }): HookstreamConfig {
  return parseConfig({
    app_manager: {
      driver: 'memory',
      array: {
        apps: APPS.map((app) => ({
          id: app.id,
          key: app.key,
          secret: secretOf(app.id),
          webhooks: [
            { id: 'all-events', url: `${o.mainUrl}/webhooks/${app.id}`, event_types: [...KNOWN_EVENT_NAMES] },
            {
              id: 'presence',
              url: `${o.flakyUrl}/webhooks/${app.id}/presence`,
              event_types: ['member_added', 'member_removed', 'client_event'],
              filter: { channel_type: 'presence' },
            },
          ],
        })),
      },
    },
    webhooks: { batching: { enabled: true, duration: 50, size: 100 } },
    kafka: { brokers: o.brokers, client_id: 'hookstream-demo', group_id: o.groupId, topic: o.topic, partitions: PARTITIONS },
    retry: { delays_ms: RETRY_DELAYS_MS },
    metrics: { enabled: true, host: '127.0.0.1', port: 0 },
    delivery: { shutdown_grace_ms: 5_000, request_timeout_ms: 5_000 },
  });
}

function secretOf(appId: string): string {
  return `${appId}-demo-secret`;
}

async function probeBroker(address: string): Promise<boolean> {
  const local = await import('../kafka/local/index.js');
  return local.probeBroker(address);
}

async function counterTotal(counter: Counter<string>): Promise<number> {
  const { values } = await counter.get();
  return values.reduce((total, v) => total + v.value, 0);
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((total, item) => total + f(item), 0);
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await sleep(50);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function ms(value: number | null): string {
  return value === null ? '-' : `${fmt.format(value)} ms`;
}

interface PerSecond {
  published: number;
  delivered: number;
  batches: number;
  p50: number | null;
  p99: number | null;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** The live screen: one screenful, redrawn in place. */
export function screenText(s: DemoSummary, perS: PerSecond, notes: readonly string[], inFlight: number, durationS: number | undefined, invalidReason?: string): string {
  const row = (label: string, now: string, total: string, note = ''): string => `${label.padEnd(22)}${now.padStart(12)}${total.padStart(14)}   ${note}`.trimEnd();
  const avg = s.batches > 0 ? `avg ${(s.delivered / Math.max(1, s.requests - s.failedOnPurpose - s.invalidSignatures)).toFixed(1)} events per request` : '';
  const lines = [
    `hookstream demo   ${clock(s.trafficS)}${durationS === undefined ? '' : ` of ${clock(durationS)}`}   Ctrl-C stops everything`,
    '',
    ...notes,
    '',
    row('', 'last second', 'total'),
    row('published (acked)', fmt.format(perS.published), fmt.format(s.published), s.publishFailed > 0 ? `${fmt.format(s.publishFailed)} failed` : ''),
    row('delivered (received)', fmt.format(perS.delivered), fmt.format(s.delivered), 'events in requests the receivers accepted'),
    row('batches (requests)', fmt.format(perS.batches), fmt.format(s.batches), avg),
    row('latency p50', ms(perS.p50), ms(s.p50Ms), 'event time_ms to arrival at the receiver'),
    row('latency p99', ms(perS.p99), ms(s.p99Ms), 'retried events wait for their retry tier'),
    row('answered 503', '', fmt.format(s.failedOnPurpose), 'by the flaky receiver, on purpose'),
    row('retries', '', fmt.format(s.retries), 'batches handed to a retry tier'),
    row('dead letters', '', fmt.format(s.deadLetters)),
    row('invalid signatures', '', fmt.format(s.invalidSignatures), s.invalidSignatures === 0 ? 'must stay 0' : `MUST BE 0: ${invalidReason ?? ''}`),
    row('in flight', '', fmt.format(inFlight), s.firstDeliveryAfterS === null ? 'waiting for the first delivery...' : `first delivery ${s.firstDeliveryAfterS} s after start`),
  ];
  return lines.join('\n') + '\n';
}

/** One line per refresh when stdout is not a terminal: `key=value` words, easy to grep. */
export function plainLine(s: DemoSummary, perS: PerSecond, inFlight: number): string {
  return [
    `demo t=${s.trafficS.toFixed(0)}s`,
    `published=${s.published} (${perS.published.toFixed(0)}/s)`,
    `delivered=${s.delivered} (${perS.delivered.toFixed(0)}/s)`,
    `batches=${s.batches}`,
    `p50=${s.p50Ms ?? '-'}ms p99=${s.p99Ms ?? '-'}ms`,
    `answered_503=${s.failedOnPurpose}`,
    `retries=${s.retries}`,
    `dead_letters=${s.deadLetters}`,
    `invalid_signatures=${s.invalidSignatures}`,
    `in_flight=${inFlight}`,
  ].join(' ');
}

/** The closing lines: a sentence for people and a `summary key=value ...` line for scripts. */
export function summaryText(s: DemoSummary): string {
  const sentence =
    `Demo ran ${s.elapsedS} s (${s.trafficS} s of traffic) on ${s.brokers || 'no broker'}: ${fmt.format(s.published)} events published by ${NODE_COUNT} nodes, ` +
    `${fmt.format(s.delivered)} event deliveries accepted by the receivers in ${fmt.format(s.batches)} delivery attempts, ` +
    `latency p50 ${ms(s.p50Ms)} / p99 ${ms(s.p99Ms)}, ${fmt.format(s.failedOnPurpose)} answered 503 on purpose, ${fmt.format(s.retries)} retries, ` +
    `${fmt.format(s.deadLetters)} dead letters, ${s.invalidSignatures} invalid signatures.`;
  const fields: Record<string, string | number | boolean | null> = {
    elapsed_s: s.elapsedS,
    traffic_s: s.trafficS,
    published: s.published,
    publish_failed: s.publishFailed,
    delivered: s.delivered,
    requests: s.requests,
    batches: s.batches,
    answered_503: s.failedOnPurpose,
    retries: s.retries,
    dead_letters: s.deadLetters,
    invalid_signatures: s.invalidSignatures,
    p50_ms: s.p50Ms,
    p99_ms: s.p99Ms,
    first_delivery_s: s.firstDeliveryAfterS,
    broker_started: s.brokerStarted,
    broker_stopped: s.brokerStopped,
  };
  return `${sentence}\nsummary ${Object.entries(fields)
    .map(([k, v]) => `${k}=${v ?? '-'}`)
    .join(' ')}\n`;
}

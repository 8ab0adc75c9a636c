/**
 * Broker settings of a single-node KRaft cluster. Everything here would be wrong for
 * production; all of it is needed for one broker to serve groups and transactions.
 */
export const SINGLE_NODE_SETTINGS: Readonly<Record<string, string>> = {
  'num.partitions': '1',
  'default.replication.factor': '1',
  'min.insync.replicas': '1',
  // Without these, a single broker never creates __consumer_offsets and consumers fail
  // with "group coordinator is not available".
  'offsets.topic.replication.factor': '1',
  'offsets.topic.num.partitions': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'transaction.state.log.num.partitions': '1',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  'share.coordinator.state.topic.num.partitions': '1',
  'group.initial.rebalance.delay.ms': '0',
  // hookstream creates its topics explicitly (partitions and retention matter), so a typo
  // in a topic name must fail loudly instead of creating a one-partition topic.
  'auto.create.topics.enable': 'false',
};

export interface ServerPropertiesInput {
  port: number;
  controllerPort: number;
  /** Absolute path of the log (data) directory. */
  dataDir: string;
  /** @defaultValue 127.0.0.1 */
  host?: string;
  /** @defaultValue 1 */
  nodeId?: number;
  /** Listeners besides PLAINTEXT (tests of TLS and SASL); their settings go in `extraProperties`. */
  extraListeners?: readonly ExtraListener[];
  /** Added after the generated settings (a key given twice: Kafka takes the last). */
  extraProperties?: Readonly<Record<string, string>>;
}

/** A listener named `name` (also its security protocol) on `host:port`. */
export interface ExtraListener {
  name: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  port: number;
}

export function serverProperties(input: ServerPropertiesInput): string {
  const host = input.host ?? '127.0.0.1';
  const nodeId = input.nodeId ?? 1;
  const extra = input.extraListeners ?? [];
  const extraAt = extra.map((l) => `,${l.name}://${host}:${l.port}`).join('');
  const settings: Array<[string, string]> = [
    ['process.roles', 'broker,controller'],
    ['node.id', String(nodeId)],
    ['controller.quorum.voters', `${nodeId}@${host}:${input.controllerPort}`],
    ['listeners', `PLAINTEXT://${host}:${input.port},CONTROLLER://${host}:${input.controllerPort}${extraAt}`],
    ['advertised.listeners', `PLAINTEXT://${host}:${input.port}${extraAt}`],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...extra.map((l) => `${l.name}:${l.name}`)].join(',')],
    ['log.dirs', input.dataDir],
    ...Object.entries(SINGLE_NODE_SETTINGS),
    ...Object.entries(input.extraProperties ?? {}),
  ];
  const header = '# Written by hookstream (src/kafka/local) on every start; edits are overwritten.\n';
  return header + settings.map(([key, value]) => `${key}=${escapeValue(value)}`).join('\n') + '\n';
}

/** Logs go to files under `kafka.logs.dir`; the console (server.out) only gets errors. */
export function log4j2Properties(): string {
  return `# Written by hookstream (src/kafka/local) on every start.
name=hookstream-local-kafka
status=warn
appender.file.type=RollingFile
appender.file.name=File
appender.file.fileName=\${sys:kafka.logs.dir}/server.log
appender.file.filePattern=\${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=20MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=3
appender.console.type=Console
appender.console.name=Console
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
appender.console.filter.threshold.type=ThresholdFilter
appender.console.filter.threshold.level=error
rootLogger.level=info
rootLogger.appenderRef.file.ref=File
rootLogger.appenderRef.console.ref=Console
logger.request.name=kafka.request.logger
logger.request.level=warn
logger.state.name=state.change.logger
logger.state.level=warn
`;
}

/** Kafka's tools otherwise warn that log4j has no configuration; this keeps them to warnings on stderr. */
export function toolsLog4j2Properties(): string {
  return `name=hookstream-kafka-tools
status=warn
appender.stderr.type=Console
appender.stderr.name=Stderr
appender.stderr.target=SYSTEM_ERR
appender.stderr.layout.type=PatternLayout
appender.stderr.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=warn
rootLogger.appenderRef.stderr.ref=Stderr
`;
}

/** Reads `key=value` lines; enough for the files this module writes (no continuations). */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) result.set(match[1]!, unescapeValue(match[2]!));
  }
  return result;
}

/** Port of the PLAINTEXT listener in a server.properties text, if any. */
export function plaintextPort(text: string): number | undefined {
  const listeners = parseProperties(text).get('listeners');
  const match = listeners === undefined ? null : /(?:^|,)PLAINTEXT:\/\/[^,]*:(\d+)/.exec(listeners);
  return match ? Number(match[1]) : undefined;
}

// Java properties treat backslashes as escapes, which matters for Windows-style paths.
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

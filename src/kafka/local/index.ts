export { probeBroker, randomClusterId, start, status, stop, warmGroupCoordinator } from './local-kafka.js';
export {
  DEFAULT_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  KAFKA_VERSION,
  defaultCacheDir,
  type ProgressListener,
  type ResolveJarsOptions,
  type StartOptions,
  type StartResult,
  type StatusOptions,
  type StatusResult,
  type StopOptions,
  type StopResult,
} from './options.js';
export { SINGLE_NODE_SETTINGS, log4j2Properties, parseProperties, plaintextPort, serverProperties, type ServerPropertiesInput } from './properties.js';
export { classpathOf, findJava, javaMajorVersion, kafkaToolsClasspath, packageRoot, resolveJars, runKafkaTool, type KafkaToolResult } from './tools.js';
export { freePort } from './process.js';

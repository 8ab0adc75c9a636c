/**
 * hookstream as a library (`import ... from 'hookstream'`): the delivery service to embed
 * in a process of your own (a custom supervisor, a test), with the config loader it
 * takes. `hookstream start` is the usual way to run the service. Socket servers publish
 * with the narrower `hookstream/producer`; `hookstream/contract` has the Avro contract.
 */
export { HookstreamService, type ServiceOptions } from './pipeline/service.js';
export { DEFAULTS, loadConfig, parseConfig, type LoadOptions } from './config/index.js';
export type { AppConfig, HookstreamConfig, WebhookConfig } from './config/index.js';
export { ConfigError, DecodeError, HookstreamError } from './errors.js';

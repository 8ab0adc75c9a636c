export { brokersFromEnv, loadConfig, parseConfig, parseFilter, deriveWebhookId, type LoadOptions } from './load.js';
export { DEFAULTS } from './defaults.js';
export type * from './types.js';

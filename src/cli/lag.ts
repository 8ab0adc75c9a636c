import { parseArgs } from 'node:util';
import { formatLag, serviceLag } from '../ops/lag.js';
import { loadCliConfig, withConfigAdmin } from './common.js';

export const USAGE = `Usage: hookstream lag [--config FILE] [--json]

Per partition of the events topic (group kafka.group_id) and of every retry tier (group
<group_id>.retry): the committed offset, the end offset, and the lag between them.
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = await loadCliConfig(values.config);
  const rows = await withConfigAdmin(config, (admin) => serviceLag(admin, config));
  process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLag(rows));
  return 0;
}

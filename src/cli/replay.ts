import { parseArgs } from 'node:util';
import { HookstreamError, UsageError } from '../errors.js';
import { topicNames } from '../kafka/topics.js';
import { groupsOf } from '../ops/lag.js';
import { executeReplay, formatPlan, parseIsoDateTime, parseIsoDuration, planReplay, type ReplayTarget } from '../ops/replay.js';
import { loadCliConfig, parseWholeNumber, withConfigAdmin } from './common.js';

export const USAGE = `Usage: hookstream replay [--config FILE] TARGET [--topic T] [--partitions 0,3] [--execute]

Moves the consumer group's committed offsets so that hookstream delivers again from there
(or skips ahead). Without --execute it only prints the plan: per partition the committed
offset, the new one, and how many events that delivers again (REDELIVER, moving back) or
never delivers (SKIP, moving forward). With --execute it refuses while
any instance of the group runs: stop them, replay, start them again.

TARGET (exactly one):
  --to-datetime ISO        the first offset at or after this time (e.g. 2026-11-28T10:00:00Z)
  --by-duration DURATION   that long before now (ISO 8601: PT30M, PT2H, P1D)
  --to-offset N            this offset in every selected partition
  --to-earliest            the oldest record the topic still holds
  --to-latest              the end: skip everything not yet delivered

Options:
  --topic T                the events topic (default) or a retry tier (group <group_id>.retry)
  --partitions LIST        only these partitions (comma-separated)
  --execute                apply the plan
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'to-datetime': { type: 'string' },
      'by-duration': { type: 'string' },
      'to-offset': { type: 'string' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      topic: { type: 'string' },
      partitions: { type: 'string' },
      execute: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const targets: ReplayTarget[] = [];
  if (values['to-datetime'] !== undefined) targets.push({ kind: 'datetime', ms: parseIsoDateTime(values['to-datetime'], '--to-datetime') });
  if (values['by-duration'] !== undefined) targets.push({ kind: 'datetime', ms: Date.now() - parseIsoDuration(values['by-duration']) });
  if (values['to-offset'] !== undefined) {
    targets.push({ kind: 'offset', offset: parseWholeNumber(values['to-offset'], '--to-offset') });
  }
  if (values['to-earliest']) targets.push({ kind: 'earliest' });
  if (values['to-latest']) targets.push({ kind: 'latest' });
  if (targets.length !== 1) throw new UsageError('give exactly one of --to-datetime, --by-duration, --to-offset, --to-earliest, --to-latest');
  const partitions = values.partitions?.split(',').map((p) => parseWholeNumber(p, '--partitions'));
  const config = await loadCliConfig(values.config);
  const names = topicNames(config);
  const topic = values.topic ?? names.events;
  const groups = groupsOf(config);
  const isTier = names.retries.some((r) => r.name === topic);
  if (topic !== names.events && !isTier) {
    throw new HookstreamError('HS_USAGE', `--topic: ${topic} is neither the events topic (${names.events}) nor a retry tier`);
  }
  const group = isTier ? groups.retry : groups.events;
  return withConfigAdmin(config, async (admin) => {
    const plan = await planReplay(admin, group, topic, targets[0]!, partitions);
    process.stdout.write(formatPlan(topic, group, plan));
    if (!values.execute) {
      process.stdout.write('dry run: nothing changed; add --execute to apply\n');
      return 0;
    }
    await executeReplay(admin, group, topic, plan);
    process.stdout.write(`offsets of group ${group} on ${topic} set; start hookstream to deliver from there\n`);
    return 0;
  });
}

import { parseArgs } from 'node:util';
import { HookstreamError, UsageError } from '../errors.js';
import { planRedelivery } from '../ops/redeliver.js';
import { parseIsoDateTime } from '../ops/replay.js';
import { HookstreamService } from '../pipeline/service.js';
import { cliKafka, cliLogger, loadCliConfig, withConfigAdmin, withKafkaErrors } from './common.js';
import { ProgressLine } from './progress.js';

export const USAGE = `Usage: hookstream redeliver [--config FILE] --app ID --from ISO --to ISO [--webhook ID] [--event-types a,b] [--execute]

Delivers an app's events of a time range once more, while the service keeps running: reads
that range of the events topic outside the live consumer group, selects the events that the
chosen webhooks select (event types and filters of the current config, narrowed by
--event-types), and sends them through the normal batching, signing and retry path, marked
with "X-Hookstream-Replay: true". Failures go to the retry tiers, which the running service
works off. Without --execute it only reports what it would send.

Exit code: 0 when every selected event was delivered; 3 when some were not delivered now
and were handed to the retry tiers or the dead-letter topic instead (nothing is lost, but
the endpoint needs a look).

Options:
  --app ID            the app (required)
  --from ISO          start of the range, inclusive, by each event's time_ms (required)
  --to ISO            end of the range, exclusive (required)
  --webhook ID        only this webhook (default: every webhook of the app)
  --event-types a,b   only these event names
  --execute           deliver
`;

/** Some selected events were handed to the retry tiers or the dead-letter topic, not delivered. */
export const EXIT_SOME_HANDED_OFF = 3;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      app: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      webhook: { type: 'string' },
      'event-types': { type: 'string' },
      execute: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.app || !values.from || !values.to) throw new UsageError('--app, --from and --to are required');
  const fromMs = parseIsoDateTime(values.from, '--from');
  const toMs = parseIsoDateTime(values.to, '--to');
  if (toMs <= fromMs) throw new HookstreamError('HS_USAGE', '--to must be later than --from');
  const config = await loadCliConfig(values.config);
  const logger = cliLogger();
  const kafka = cliKafka(config, 'redeliver');
  const eventTypes = values['event-types']?.split(',').map((s) => s.trim()).filter(Boolean);
  const plan = await withConfigAdmin(
    config,
    (admin) =>
      planRedelivery(kafka, admin, config, {
        appId: values.app!,
        fromMs,
        toMs,
        ...(values.webhook ? { webhookId: values.webhook } : {}),
        ...(eventTypes ? { eventTypes } : {}),
      }),
    'redeliver',
  );
  const selected = plan.perWebhook.reduce((n, w) => n + w.events.length, 0);
  process.stdout.write(`read ${plan.read} records (${plan.undecodable} undecodable), ${plan.inRange} events of app ${plan.app.id} in range\n`);
  for (const { webhook, events } of plan.perWebhook) process.stdout.write(`  webhook ${webhook.id}: ${events.length} selected\n`);
  if (!values.execute) {
    process.stdout.write(`dry run: would deliver ${selected} events; add --execute to deliver\n`);
    return 0;
  }
  // A delivering-only instance: no consumer group joined, no metrics port opened.
  const service = new HookstreamService({ config: { ...config, metrics: { ...config.metrics, enabled: false } }, logger, consume: false });
  await withKafkaErrors(config, () => service.start());
  const progress = new ProgressLine('redelivering', selected);
  try {
    await withKafkaErrors(config, () => Promise.all(plan.perWebhook.map(({ webhook, events }) => service.redeliver(plan.app, webhook, events, () => progress.tick()))));
  } finally {
    progress.end();
    await service.close();
  }
  // Every selected event ends delivered or handed off; the second kind are the failures.
  const delivered = (await service.metrics.eventsDelivered.get()).values.reduce((n, v) => n + v.value, 0);
  const failed = selected - delivered;
  process.stdout.write(`read ${plan.read}, selected ${selected}, delivered ${delivered}, failed ${failed} (handed to the retry tiers or the dead-letter topic)\n`);
  // A script running redeliver must be able to tell "all delivered" from "some still pending".
  return failed > 0 ? EXIT_SOME_HANDED_OFF : 0;
}


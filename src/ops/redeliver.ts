import type { Admin, Kafka } from 'kafkajs';
import type { AppConfig, HookstreamConfig, WebhookConfig } from '../config/types.js';
import { decodeEvent } from '../contract/index.js';
import type { WebhookEvent } from '../contract/types.js';
import { HookstreamError } from '../errors.js';
import { allTopics, requireTopics, topicNames } from '../kafka/topics.js';
import { matchesFilter } from '../pipeline/route/filter.js';
import { boundsByTime, readRange } from './read-range.js';

const TIME_MARGIN_MS = 60_000;

export interface RedeliverSelection {
  appId: string;
  fromMs: number;
  toMs: number;
  /** Only this webhook (by id); all of the app's webhooks when absent. */
  webhookId?: string;
  /** Only these event names (intersected with each webhook's own event_types). */
  eventTypes?: readonly string[];
}

export interface RedeliverPlan {
  app: AppConfig;
  /** Per chosen webhook, the events it selects, in offset order per partition. */
  perWebhook: { webhook: WebhookConfig; events: WebhookEvent[] }[];
  read: number;
  undecodable: number;
  /** Events of the app in the time range (before webhook selection). */
  inRange: number;
}

export function chooseWebhooks(config: HookstreamConfig, selection: RedeliverSelection): { app: AppConfig; webhooks: WebhookConfig[] } {
  const app = config.apps.find((a) => a.id === selection.appId);
  if (!app) throw new HookstreamError('HS_USAGE', `--app: no app ${JSON.stringify(selection.appId)} in the config (apps: ${config.apps.map((a) => a.id).join(', ') || 'none'})`);
  const webhooks = selection.webhookId === undefined ? app.webhooks : app.webhooks.filter((w) => w.id === selection.webhookId);
  if (webhooks.length === 0) {
    throw new HookstreamError('HS_USAGE', `--webhook: app ${app.id} has no webhook ${JSON.stringify(selection.webhookId)} (ids: ${app.webhooks.map((w) => w.id).join(', ')})`);
  }
  return { app, webhooks };
}

/** Does this webhook select the event, narrowed by --event-types? The live router's rule. */
export function selects(webhook: WebhookConfig, event: WebhookEvent, eventTypes?: readonly string[]): boolean {
  if (!webhook.event_types.has(event.name)) return false;
  if (eventTypes && !eventTypes.includes(event.name)) return false;
  return matchesFilter(webhook.filter, event.channel);
}

/** Reads the time range of the events topic and selects what each chosen webhook would get. */
export async function planRedelivery(kafka: Kafka, admin: Admin, config: HookstreamConfig, selection: RedeliverSelection): Promise<RedeliverPlan> {
  const { app, webhooks } = chooseWebhooks(config, selection);
  const perWebhook = webhooks.map((webhook) => ({ webhook, events: [] as WebhookEvent[] }));
  let read = 0;
  let undecodable = 0;
  let inRange = 0;
  // The events topic is read now; what is not delivered goes to the retry tiers and the
  // dead-letter topic, so a dry run already says when one of them is missing.
  await requireTopics(admin, allTopics(topicNames(config)));
  // Record timestamps (set when a node sent the event) trail the events' own time_ms a little:
  // read a margin on both sides, then select by time_ms.
  const bounds = await boundsByTime(admin, config.kafka.topic, selection.fromMs - TIME_MARGIN_MS, selection.toMs + TIME_MARGIN_MS);
  await readRange(kafka, admin, config.kafka.topic, bounds, (_partition, message) => {
    read++;
    let event: WebhookEvent;
    try {
      if (!message.value) throw new Error('no value');
      event = decodeEvent(message.value);
    } catch {
      undecodable++;
      return;
    }
    // Record timestamps bound the read; the event's own time decides what is in range.
    if (event.app_id !== app.id || event.time_ms < selection.fromMs || event.time_ms >= selection.toMs) return;
    inRange++;
    for (const entry of perWebhook) if (selects(entry.webhook, event, selection.eventTypes)) entry.events.push(event);
  }, { groupPrefix: config.kafka.group_id });
  return { app, perWebhook, read, undecodable, inRange };
}

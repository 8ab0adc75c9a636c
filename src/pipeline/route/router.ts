import type { AppConfig, WebhookConfig } from '../../config/types.js';
import type { WebhookEvent } from '../../contract/types.js';
import { matchesFilter } from './filter.js';

export type RouteResult =
  | { kind: 'unknown_app' }
  | { kind: 'routed'; app: AppConfig; webhooks: WebhookConfig[] };

const NONE: WebhookConfig[] = [];

/**
 * Selects, for each event, the webhooks of its app that asked for it. Pure and built once
 * per config: apps are looked up by id, and each app's webhooks are pre-grouped by event
 * name so that the per-event work is one map lookup plus the filters of candidates only.
 */
export class Router {
  readonly #apps = new Map<string, { app: AppConfig; byName: Map<string, WebhookConfig[]> }>();

  constructor(apps: readonly AppConfig[]) {
    for (const app of apps) {
      const byName = new Map<string, WebhookConfig[]>();
      for (const webhook of app.webhooks) {
        for (const name of webhook.event_types) {
          const list = byName.get(name) ?? [];
          list.push(webhook);
          byName.set(name, list);
        }
      }
      this.#apps.set(app.id, { app, byName });
    }
  }

  app(appId: string): AppConfig | undefined {
    return this.#apps.get(appId)?.app;
  }

  /** A webhook of an app by its stable id (retry records name webhooks this way). */
  webhook(appId: string, webhookId: string): WebhookConfig | undefined {
    return this.#apps.get(appId)?.app.webhooks.find((w) => w.id === webhookId);
  }

  route(event: WebhookEvent): RouteResult {
    const entry = this.#apps.get(event.app_id);
    if (!entry) return { kind: 'unknown_app' };
    const candidates = entry.byName.get(event.name);
    if (!candidates) return { kind: 'routed', app: entry.app, webhooks: NONE };
    const selected = candidates.filter((w) => matchesFilter(w.filter, event.channel));
    return { kind: 'routed', app: entry.app, webhooks: selected };
  }
}

import type { AppConfig, WebhookConfig } from '../../config/types.js';
import type { WebhookEvent } from '../../contract/types.js';
import { matchesFilter } from './filter.js';

export type RouteResult =
  | { readonly kind: 'unknown_app' }
  | { readonly kind: 'routed'; readonly app: AppConfig; readonly webhooks: readonly WebhookConfig[] };

const NONE: WebhookConfig[] = [];
const UNKNOWN_APP: RouteResult = { kind: 'unknown_app' };

/**
 * Selects, for each event, the webhooks of its app that asked for it. Pure and built once
 * per config: apps are looked up by id, and each app's webhooks are pre-grouped by event
 * name so that the per-event work is one map lookup plus the filters of candidates only.
 */
interface Candidates {
  webhooks: WebhookConfig[];
  /** When no candidate has a channel filter, the answer for every channel (no allocation per event). */
  always: RouteResult | undefined;
}

export class Router {
  readonly #apps = new Map<string, { app: AppConfig; byName: Map<string, Candidates>; none: RouteResult }>();

  constructor(apps: readonly AppConfig[]) {
    for (const app of apps) {
      const byName = new Map<string, Candidates>();
      for (const webhook of app.webhooks) {
        for (const name of webhook.event_types) {
          const entry = byName.get(name) ?? { webhooks: [], always: undefined };
          entry.webhooks.push(webhook);
          byName.set(name, entry);
        }
      }
      for (const entry of byName.values()) {
        // A filter that passes a channel-less event has no channel condition at all.
        if (entry.webhooks.every((w) => matchesFilter(w.filter, null))) {
          entry.always = { kind: 'routed', app, webhooks: entry.webhooks };
        }
      }
      this.#apps.set(app.id, { app, byName, none: { kind: 'routed', app, webhooks: NONE } });
    }
  }

  app(appId: string): AppConfig | undefined {
    return this.#apps.get(appId)?.app;
  }

  /** A webhook of an app by its stable id (retry records name webhooks this way). */
  webhook(appId: string, webhookId: string): WebhookConfig | undefined {
    return this.#apps.get(appId)?.app.webhooks.find((w) => w.id === webhookId);
  }

  /** The webhooks of the event's app that asked for it. The result is shared: do not modify it. */
  route(event: WebhookEvent): RouteResult {
    const entry = this.#apps.get(event.app_id);
    if (!entry) return UNKNOWN_APP;
    const candidates = entry.byName.get(event.name);
    if (!candidates) return entry.none;
    if (candidates.always) return candidates.always;
    const selected = candidates.webhooks.filter((w) => matchesFilter(w.filter, event.channel));
    return selected.length === 0 ? entry.none : { kind: 'routed', app: entry.app, webhooks: selected };
  }
}

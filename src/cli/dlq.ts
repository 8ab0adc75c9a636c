import { parseArgs } from 'node:util';
import { HookstreamError, UsageError } from '../errors.js';
import { topicNames } from '../kafka/topics.js';
import { DLQ_REASON, formatCounts, formatTable, listDlq, requeueDlq, requeueGroupId, type DlqSelection, type ListResult, type RequeueSummary } from '../ops/dlq.js';
import { parseIsoDateTime } from '../ops/replay.js';
import { cliKafka, loadCliConfig, withConfigAdmin } from './common.js';
import { ProgressLine } from './progress.js';

export const USAGE = `Usage: hookstream dlq list    [--config FILE] [--app ID] [--reason R] [--since ISO] [--limit N] [--all] [--json]
       hookstream dlq requeue [--config FILE] [--app ID] [--reason R] [--since ISO] [--execute]

The dead-letter topic (<kafka.topic>.dlq) holds what could not be delivered: batches whose
retries ran out or that failed for good (http_410, ...), records that do not decode
(undecodable), events that break the event field table (invalid_event), events of
apps not in the config (unknown_app) and retries of webhooks
removed from it (webhook_removed). What is still dead is what lies after the requeue
cursor, the offsets of the consumer group <kafka.group_id>.dlq-requeue.

list      shows the entries after the cursor (with --all: every entry still in the topic),
          oldest failure first: app, webhook, reason, attempts, events, the first event's
          time and the last error. Reads only; nothing is committed.
requeue   sends the selected entries back: delivery batches to the first retry tier with
          their attempt count reset (the running service delivers them), raw events
          (unknown_app) to the events topic to be routed by the current config.
          Undecodable records and invalid events (invalid_event) cannot be requeued
          and are skipped. Entries not selected,
          or whose app or webhook is not in the config, are kept: appended to the
          dead-letter topic again, unchanged. The cursor passes each entry only once its
          hand-off is acknowledged, so a second run never requeues the same entry.
          Without --execute it only says what it would do.

Options:
  -c, --config FILE   config file (else HOOKSTREAM_CONFIG)
      --app ID        only entries of this app
      --reason R      only entries with this reason (retries_exhausted, http_410, undecodable, ...)
      --since ISO     only entries that failed at or after this time (e.g. 2026-11-28T10:00:00Z)
      --limit N       list: show at most N entries (default 100; 0 for all)
      --all           list: every record still in the topic, requeued ones and the
                      copies that requeue kept included
      --json          list: one JSON document instead of the table
      --execute       requeue: do it (default: a dry run)
  -h, --help
`;

/** Where the command writes; the process streams unless a test passes its own. */
export interface DlqIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

const DEFAULT_LIMIT = 100;

export async function run(args: string[], io: DlqIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // Usage mistakes are thrown: main says them, with this USAGE where the shape is wrong.
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      app: { type: 'string' },
      reason: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      execute: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const sub = positionals[0];
  if (positionals.length !== 1 || (sub !== 'list' && sub !== 'requeue')) {
    throw new UsageError(`expected "list" or "requeue"${positionals.length > 0 ? `, got "${positionals.join(' ')}"` : ''}`);
  }
  const misplaced = sub === 'list' ? (values.execute ? ['--execute'] : []) : (['limit', 'all', 'json'] as const).filter((k) => values[k] !== undefined && values[k] !== false).map((k) => `--${k}`);
  if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')} is not an option of "dlq ${sub}"`);
  let limit = DEFAULT_LIMIT;
  if (values.limit !== undefined) {
    limit = /^\d+$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!Number.isSafeInteger(limit)) throw new HookstreamError('HS_USAGE', `--limit must be a whole number >= 0, got ${JSON.stringify(values.limit)}`);
  }
  const selection: DlqSelection = {};
  if (values.app !== undefined) selection.appId = values.app;
  if (values.reason !== undefined) selection.reason = values.reason;
  if (values.since !== undefined) selection.sinceMs = parseIsoDateTime(values.since, '--since');

  if (sub === 'requeue' && selection.reason !== undefined && !DLQ_REASON.test(selection.reason)) {
    throw new HookstreamError(
      'HS_USAGE',
      `--reason ${JSON.stringify(selection.reason)} is not a reason hookstream writes (retries_exhausted, http_410, redirect_301, undecodable, invalid_event, unknown_app, webhook_removed, invalid_target, ...)`,
    );
  }
  const config = await loadCliConfig(values.config);
  if (sub === 'requeue' && selection.appId !== undefined && !config.apps.some((a) => a.id === selection.appId)) {
    // A typo would select nothing, and the run would append every entry to the topic again.
    throw new HookstreamError('HS_USAGE', `--app ${JSON.stringify(selection.appId)} is not an app of the config; its entries could only be kept, not requeued`);
  }
  const kafka = cliKafka(config, 'dlq');

  // Ctrl-C stops reading; a requeue run then commits what was acknowledged and reports.
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (sub === 'list') {
      const result = await withConfigAdmin(
        config,
        (admin) => listDlq(kafka, admin, config, { selection, limit, from: values.all ? 'earliest' : 'cursor', signal: abort.signal }),
        'dlq',
      );
      io.stdout.write(values.json ? `${JSON.stringify(listJson(result, limit))}\n` : listText(result, limit, requeueGroupId(config)));
      return 0;
    }
    const execute = values.execute === true;
    let progress: ProgressLine | undefined;
    const summary = await withConfigAdmin(config, (admin) =>
      requeueDlq(kafka, admin, config, {
        selection,
        execute,
        signal: abort.signal,
        onStart: (total) => {
          // A bar only for an interactive run; logs and pipes get the summary alone.
          // On stderr, so that stdout stays the summary; drawn only when stderr is a terminal.
          if (execute && total > 0) progress = new ProgressLine('requeueing', total, io.stderr);
        },
        onProgress: () => progress?.tick(),
      }),
      'dlq',
    );
    progress?.end();
    io.stdout.write(requeueText(summary, execute, topicNames(config), requeueGroupId(config)));
    return summary.interrupted ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function listJson(result: ListResult, limit: number): Record<string, unknown> {
  return {
    topic: result.topic,
    from: result.from,
    read: result.read,
    total: result.total,
    limit,
    by_reason: Object.fromEntries(result.byReason),
    entries: result.rows,
  };
}

function listText(result: ListResult, limit: number, cursorGroup: string): string {
  const where = result.from === 'cursor' ? `after the requeue cursor (group ${cursorGroup})` : 'from the earliest offset';
  if (result.total === 0) return `no entries in ${result.topic} ${where}${result.read > 0 ? ` that match (read ${result.read})` : ''}\n`;
  let out = formatTable(result.rows);
  out += `\n${n(result.total, 'entry', 'entries')} in ${result.topic} ${where}: ${formatCounts(result.byReason)}\n`;
  if (limit > 0 && result.total > result.rows.length) out += `showing the ${result.rows.length} oldest; --limit 0 shows all\n`;
  return out;
}

/** `1 entry`, `2 entries`. */
function n(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function requeueText(s: RequeueSummary, execute: boolean, names: ReturnType<typeof topicNames>, cursorGroup: string): string {
  // Past tense for what was done, "would" for a dry run.
  const verb = (done: string, planned: string): string => (execute ? done : `would ${planned}`);
  if (s.read === 0) return `nothing to requeue: no entries in ${names.dlq} after the requeue cursor (group ${cursorGroup})\n`;
  const lines: string[] = [];
  lines.push(`${execute ? '' : 'dry run: '}read ${n(s.read, 'entry', 'entries')} of ${names.dlq} after the requeue cursor (group ${cursorGroup})`);
  if (s.byReason.size > 0) lines.push(`selected by reason: ${formatCounts(s.byReason)}`);
  lines.push(`${verb('requeued', 'requeue')} ${n(s.requeued, 'batch', 'batches')} (${n(s.requeuedEvents, 'event', 'events')}) to ${names.retries[0]?.name ?? '(no retry tier)'}`);
  if (s.republished > 0) lines.push(`${verb('re-published', 're-publish')} ${n(s.republished, 'event', 'events')} to ${names.events}`);
  if (s.skippedUndecodable > 0) {
    lines.push(`${verb('skipped', 'skip')} ${n(s.skippedUndecodable, 'undecodable record', 'undecodable records')} (they cannot be requeued; "dlq list --all --reason undecodable" shows them)`);
  }
  if (s.skippedInvalid > 0) {
    lines.push(`${verb('skipped', 'skip')} ${n(s.skippedInvalid, 'invalid event', 'invalid events')} (they break the event field table; fix their producer; "dlq list --all --reason invalid_event" shows them)`);
  }
  if (s.keptNotInConfig > 0) lines.push(`${verb('kept', 'keep')} ${n(s.keptNotInConfig, 'entry', 'entries')} whose app or webhook is not in the config`);
  if (s.keptNotSelected > 0) lines.push(`${verb('kept', 'keep')} ${n(s.keptNotSelected, 'entry', 'entries')} not selected`);
  if (!execute) lines.push('add --execute to do it');
  if (s.interrupted) lines.push('interrupted: the cursor stops after the last acknowledged entry; run again to continue');
  return lines.join('\n') + '\n';
}

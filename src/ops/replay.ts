import type { Admin } from 'kafkajs';
import { HookstreamError } from '../errors.js';
import { requireTopics } from '../kafka/topics.js';

/** Where to move the group's offsets. */
export type ReplayTarget =
  | { kind: 'datetime'; ms: number }
  | { kind: 'offset'; offset: number }
  | { kind: 'earliest' }
  | { kind: 'latest' };

export interface ReplayPlanRow {
  partition: number;
  /** The group's committed offset now (null: never committed, the group would start at the earliest). */
  current: number | null;
  /** The offset the group will read next after the reset. */
  target: number;
  /** Records that will be delivered again (the offset moves back). */
  redeliver: number;
  /** Records that will never be delivered (the offset moves forward past them). */
  skip: number;
}

/**
 * Parses an ISO 8601 duration (`PT1H`, `P1DT30M`, `PT90S`) into ms. Years and months have no
 * fixed length and are refused rather than guessed.
 */
export function parseIsoDuration(text: string): number {
  const m = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    throw new HookstreamError('HS_USAGE', `--by-duration: ${JSON.stringify(text)} is not an ISO 8601 duration such as PT1H, PT30M or P1DT2H (years and months are not supported)`);
  }
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  return ((((w! * 7 + d!) * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}

/**
 * Parses an ISO 8601 date (`2026-11-28`, midnight UTC) or date-time with a zone
 * (`2026-11-28T10:00:00Z`, `…T10:00+02:00`, fractions of a second allowed). Anything else is
 * refused rather than guessed: `Date.parse` reads "2026-11-28 10:00" or "Nov 28 2026" as
 * local time and rolls 2026-02-30 over to March, and a replay hours off redelivers the
 * wrong events.
 */
export function parseIsoDateTime(text: string, flag: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  const example = 'e.g. 2026-11-28T10:00:00Z, 2026-11-28T11:00:00+01:00 or 2026-11-28';
  if (!m) throw new HookstreamError('HS_USAGE', `${flag}: ${JSON.stringify(text)} is not an ISO 8601 date or date-time (${example})`);
  const [, y, mo, d, h, mi, sec, , zone] = m;
  if (h !== undefined && zone === undefined) {
    throw new HookstreamError('HS_USAGE', `${flag}: ${JSON.stringify(text)} has no time zone; add Z or an offset such as +02:00`);
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk = zone === undefined || zone === 'Z' || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(-2)) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(sec ?? 0) > 59 || !zoneOk) {
    throw new HookstreamError('HS_USAGE', `${flag}: ${JSON.stringify(text)} is not a valid date or time (${example})`);
  }
  // Date.parse reads exactly these forms the same everywhere once the offset has its colon.
  const normalized = zone !== undefined && zone !== 'Z' && !zone.includes(':') ? text.slice(0, -2) + ':' + text.slice(-2) : text;
  const ms = Date.parse(h === undefined ? `${normalized}T00:00:00Z` : normalized);
  if (Number.isNaN(ms)) throw new HookstreamError('HS_USAGE', `${flag}: ${JSON.stringify(text)} is not an ISO 8601 date or date-time (${example})`);
  return ms;
}

/** The per-partition plan: committed now, the new offset, and how many records that redelivers or skips. */
export async function planReplay(admin: Admin, group: string, topic: string, target: ReplayTarget, partitions?: readonly number[]): Promise<ReplayPlanRow[]> {
  await requireTopics(admin, [topic]);
  const ends = await admin.fetchTopicOffsets(topic);
  const known = new Set(ends.map((e) => e.partition));
  for (const p of partitions ?? []) {
    if (!known.has(p)) throw new HookstreamError('HS_USAGE', `--partitions: topic ${topic} has no partition ${p} (it has 0-${ends.length - 1})`);
  }
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const current = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const byTime = target.kind === 'datetime' ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, target.ms)).map((p) => [p.partition, Number(p.offset)])) : undefined;
  return ends
    .filter((e) => !partitions || partitions.includes(e.partition))
    .map((e) => {
      const low = Number(e.low);
      const high = Number(e.high);
      let next: number;
      switch (target.kind) {
        case 'earliest':
          next = low;
          break;
        case 'latest':
          next = high;
          break;
        case 'offset':
          // Clamped to what the partition still holds: Kafka would reset an out-of-range offset anyway.
          next = Math.min(Math.max(target.offset, low), high);
          break;
        case 'datetime':
          next = byTime!.get(e.partition) ?? high;
          break;
      }
      const c = current.get(e.partition);
      const cur = c !== undefined && c >= 0 ? c : null;
      // A group that never committed here would start at the earliest offset.
      const from = cur ?? low;
      return { partition: e.partition, current: cur, target: next, redeliver: Math.max(0, from - next), skip: Math.max(0, next - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Sets the group's offsets to the plan. Refuses while the group has members: a running
 * instance would overwrite the new offsets with its next commit.
 */
export async function executeReplay(admin: Admin, group: string, topic: string, plan: readonly ReplayPlanRow[]): Promise<void> {
  const [description] = (await admin.describeGroups([group])).groups;
  if (description && description.members.length > 0) {
    throw new HookstreamError(
      'HS_PRECONDITION',
      `consumer group ${group} has ${description.members.length} live member(s) (state ${description.state}): stop every hookstream instance of this group first, then run the replay again`,
    );
  }
  await admin.setOffsets({ groupId: group, topic, partitions: plan.map((r) => ({ partition: r.partition, offset: String(r.target) })) });
}

export function formatPlan(topic: string, group: string, plan: readonly ReplayPlanRow[]): string {
  const lines = [`topic ${topic}, group ${group}`, `${'PARTITION'.padStart(9)} ${'CURRENT'.padStart(12)} ${'NEW'.padStart(12)} ${'REDELIVER'.padStart(10)} ${'SKIP'.padStart(10)}`];
  let redeliver = 0;
  let skip = 0;
  for (const r of plan) {
    redeliver += r.redeliver;
    skip += r.skip;
    lines.push(`${String(r.partition).padStart(9)} ${(r.current === null ? '-' : String(r.current)).padStart(12)} ${String(r.target).padStart(12)} ${String(r.redeliver).padStart(10)} ${String(r.skip).padStart(10)}`);
  }
  lines.push(`${'total'.padStart(9)} ${''.padStart(12)} ${''.padStart(12)} ${String(redeliver).padStart(10)} ${String(skip).padStart(10)}`);
  return `${lines.join('\n')}\n`;
}

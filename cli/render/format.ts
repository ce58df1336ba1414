// Small pieces of text every renderer shares: times, durations, status markers, metric conditions.
import { paint } from '../output.ts';
import { displayWidth } from './width.ts';

export { displayWidth };

import type { ItemStatus, MetricCondition, MetricUnit } from './types.ts';

/** A timestamp in UTC to the second, the same for everyone reading a CI log: `2026-11-21 10:04:05Z`. */
export function time(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A span for people: `45s`, `12m 5s`, `3h 20m`, `2d 4h`. */
export function span(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor(seconds / 3600) % 24;
  const minutes = Math.floor(seconds / 60) % 60;
  if (days) return `${days}d ${hours}h`;
  if (hours) return `${hours}h ${minutes}m`;
  if (minutes) return `${minutes}m ${seconds % 60}s`;
  return `${seconds}s`;
}

const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** The milliseconds of an ISO-8601 duration of days, hours, minutes and seconds (`PT2H`, `P7D`), if it is one. */
export function isoDurationMs(iso: string): number | undefined {
  const match = ISO_DURATION.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) return undefined;
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  return (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/** `PT2H` as `2h`, `P7D` as `7d`; anything else as written. */
export function isoDurationText(iso: string): string {
  const ms = isoDurationMs(iso);
  return ms === undefined ? iso : span(ms).replace(/ 0[hms]$/, '');
}

const MARKS: Readonly<Record<ItemStatus, string>> = {
  done: paint.green('✔'),
  failed: paint.red('✖'),
  pending: paint.dim('○'),
  skipped: paint.dim('⊘'),
  blocked: paint.yellow('!'),
};

/** ✔ done, ✖ failed, ○ pending, ⊘ skipped, ! blocked. */
export const mark = (status: ItemStatus): string => MARKS[status];

const UNIT_SUFFIX: Readonly<Record<MetricUnit, string>> = {
  Milliseconds: ' ms',
  Seconds: ' s',
  Percent: ' %',
  Count: '',
  None: '',
};

/** A figure in its unit: `180 ms`, `0.4 %`. */
export const figure = (value: number, unit: MetricUnit): string => `${value}${UNIT_SUFFIX[unit]}`;

/** A metric condition as the checklist would say it: `api.latency.p95 < 200 ms`, `system.memory > 2x baseline`. */
export function conditionText(condition: MetricCondition): string {
  const threshold = condition.relativeToBaseline
    ? `${condition.threshold}x baseline`
    : figure(condition.threshold, condition.unit);
  const sustained = condition.sustainedMinutes ? ` for ${condition.sustainedMinutes} min` : '';
  return `${condition.metric} ${condition.comparison} ${threshold}${sustained}`;
}

/** Quotes a free text given by a person, on one line. */
export const quoted = (text: string): string => `"${text.replace(/\s+/g, ' ').trim()}"`;

/** Pads `text` to `width` columns (colour codes are not counted, wide characters count twice). */
export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** `1 item`, `3 items`. */
export const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

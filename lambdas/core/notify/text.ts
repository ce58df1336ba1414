// Small text helpers the notification texts share: cutting, one-lining, lists, counts and durations.

import { durationMs } from '../workflow/workflow.ts';

/** The fewest characters of a release name worth showing; below this it is left out. */
export const MIN_NAME = 6;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The text cut to at most `max` UTF-16 code units, whole graphemes only (an emoji or an accented letter is never
 * split), with `ellipsis` appended when cut.
 */
export function clip(text: string, max: number, ellipsis: string): string {
  if (text.length <= max) return text;
  if (max < ellipsis.length) return '';
  let kept = '';
  for (const { segment } of segmenter.segment(text)) {
    if (kept.length + segment.length + ellipsis.length > max) break;
    kept += segment;
  }
  return `${kept.trimEnd()}${ellipsis}`;
}

/**
 * User text on one line: no line breaks or control characters (SNS refuses them in a subject), no bidirectional
 * overrides, lone surrogates replaced (SNS needs valid UTF-8), runs of white space collapsed.
 */
export function oneLine(text: string): string {
  return text
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
}

export const unique = (values: readonly string[]): string[] => [...new Set(values)];

export const count = (n: number, what: string, plural = `${what}s`): string => `${n} ${n === 1 ? what : plural}`;

/** Indented list lines, at most `max` of them (then "… and N more"). */
export function bullets(lines: readonly string[], max = 10): string[] {
  const shown = lines.slice(0, max).map((line) => `  - ${line}`);
  return lines.length > max ? [...shown, `  - … and ${lines.length - max} more`] : shown;
}

/**
 * An ISO-8601 duration in the largest whole unit: days from two days on, else hours, else minutes; undefined for an
 * unparsable or sub-minute one.
 */
function wholeUnits(iso: string): { amount: number; unit: 'day' | 'hour' | 'minute' } | undefined {
  let ms: number;
  try {
    ms = durationMs(iso);
  } catch {
    return undefined;
  }
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 2880 && minutes % 1440 === 0) return { amount: minutes / 1440, unit: 'day' };
  if (minutes > 0 && minutes % 60 === 0) return { amount: minutes / 60, unit: 'hour' };
  return minutes > 0 ? { amount: minutes, unit: 'minute' } : undefined;
}

/** `PT2H` as "2 hours", `P7D` as "7 days"; anything else as given. */
export function humanDuration(iso: string): string {
  const whole = wholeUnits(iso);
  return whole ? count(whole.amount, whole.unit) : iso;
}

/** `PT2H` as "2h", `P7D` as "7d", `PT90M` as "90m": a window's length in an SMS; anything else as given. */
export function shortDuration(iso: string): string {
  const whole = wholeUnits(iso);
  return whole ? `${whole.amount}${whole.unit.charAt(0)}` : iso;
}

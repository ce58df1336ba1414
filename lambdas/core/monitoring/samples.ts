// Metric samples as Shipgate receives them, and the unit conversions that make them comparable with a condition.
import type { MetricUnit } from '../template/template.ts';

/** One measurement received through the API. `unit` absent means "the unit of the condition it is compared with". */
export interface MetricSample {
  name: string;
  value: number;
  unit?: MetricUnit;
  /** ISO-8601 timestamp. */
  at: string;
}

/** A sample reduced to what evaluation needs: its time (epoch ms) and its value in the unit it is compared in. */
export interface Timed {
  t: number;
  value: number;
}

/**
 * A sample's value in `target` unit, or undefined when it cannot be converted. Seconds <-> Milliseconds convert; a
 * sample without a unit is taken to be in `target`; Percent is 0-100 and is never rescaled (0.012 means 0.012 %).
 */
export function convertValue(value: number, from: MetricUnit | undefined, target: MetricUnit): number | undefined {
  if (from === undefined || from === target) return value;
  if (from === 'Seconds' && target === 'Milliseconds') return value * 1000;
  if (from === 'Milliseconds' && target === 'Seconds') return value / 1000;
  // A baseline-relative condition (unit None) compares raw values with a baseline of the same samples.
  if (target === 'None') return value;
  return undefined;
}

/** The samples of `metric` with a usable time and a value convertible to `unit`, sorted by time then value. */
export function pointsOf(samples: readonly MetricSample[], metric: string, unit: MetricUnit): Timed[] {
  const points: Timed[] = [];
  for (const sample of samples) {
    if (sample.name !== metric || !Number.isFinite(sample.value)) continue;
    const t = Date.parse(sample.at);
    const value = convertValue(sample.value, sample.unit, unit);
    if (Number.isNaN(t) || value === undefined) continue;
    points.push({ t, value });
  }
  return points.sort((a, b) => a.t - b.t || a.value - b.value);
}

/** A figure for people: at most 3 decimals, trailing zeros dropped. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

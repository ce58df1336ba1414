// A CloudWatch alarm's state reason, read for its figures, so a rollback it causes is explained in words (the
// trigger, what was observed, the threshold) rather than in CloudWatch's own text.

/** The datapoints a `Threshold Crossed` reason quotes, most recent first, and the threshold it names. */
export interface AlarmFigures {
  readonly observed: readonly number[];
  readonly threshold: number;
}

// CloudWatch's wording: "Threshold Crossed: 1 out of the last 1 datapoints [612.0 (04/12/26 10:00:00)] was greater
// than the threshold (500.0) (minimum 1 datapoint for OK -> ALARM transition)."
const QUOTED = /\[([^\]]*)\]/;
const THRESHOLD = /the threshold \((-?[\d.]+(?:E-?\d+)?)\)/i;
const VALUE = /^\s*(-?[\d.]+(?:E-?\d+)?)/i;

/** The figures of a state reason, or undefined when it is not a threshold crossing CloudWatch worded as usual. */
export function alarmFigures(reason: string): AlarmFigures | undefined {
  const threshold = THRESHOLD.exec(reason)?.[1];
  const quoted = QUOTED.exec(reason)?.[1];
  if (threshold === undefined || quoted === undefined) return undefined;
  // Each quoted datapoint is a value, then (in CloudWatch's text) its time in parentheses.
  const observed = quoted
    .split(',')
    .map((part) => Number(VALUE.exec(part)?.[1]))
    .filter(Number.isFinite);
  const limit = Number(threshold);
  if (!Number.isFinite(limit) || observed.length === 0) return undefined;
  return { observed, threshold: limit };
}

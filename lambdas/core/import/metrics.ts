// Reads a measurable condition ("API response time >500ms p95") out of checklist text, in Shipgate's metric vocabulary.
import type { Comparison, MetricCondition, MetricUnit } from '../template/template.ts';

/** How long a "sustained" breach must hold when the text does not say. Five minutes is CloudWatch's usual alarm span. */
export const DEFAULT_SUSTAINED_MINUTES = 5;

/**
 * The canonical metric vocabulary, in match order: the first subject pattern found in the text (outside brackets)
 * names the metric. A condition on any other subject ("Downtime estimation <5 minutes", "User complaints >10%") is
 * not a metric: no sample source would ever feed it, so such lines stay manual or qualitative.
 */
export const METRIC_VOCABULARY: readonly { readonly metric: string; readonly subject: RegExp }[] = [
  { metric: 'db.query_time.avg', subject: /\b(?:database|db)\b.*\b(?:query|queries|performance)\b|\bquery times?\b/ },
  { metric: 'login.success_rate', subject: /\blogins?\b.*\bsuccess\b/ },
  { metric: 'auth.success_rate', subject: /\b(?:authentication|auth)\b.*\bsuccess\b/ },
  { metric: 'session.success_rate', subject: /\bsessions?\b.*\bsuccess\b/ },
  { metric: 'api.error_rate', subject: /\berror rates?\b/ },
  { metric: 'api.success_rate', subject: /\bsuccess rates?\b/ },
  { metric: 'system.availability', subject: /\bavailability\b|\buptime\b/ },
  { metric: 'dashboard.load_time', subject: /\bdashboard\b.*\bload times?\b/ },
  { metric: 'page.load_time', subject: /\bload times?\b/ },
  // `api.latency.<stat>`: the stat is the percentile written in the text (p50, p95, p99), else `avg`.
  { metric: 'api.latency', subject: /\blatency\b|\bresponse times?\b/ },
  { metric: 'memory.usage', subject: /\bmemory\b/ },
  { metric: 'cpu.utilization', subject: /\bcpu\b/ },
];

const comparisons: Readonly<Record<string, Comparison>> = {
  '<': '<',
  '<=': '<=',
  '≤': '<=',
  '>': '>',
  '>=': '>=',
  '≥': '>=',
};

/**
 * A comparator, a number and an optional unit that must end the word ("<3 seconds", ">2x normal", "<0.1%"). A bare
 * figure such as "142ms" or "95%+" is a measurement or a target, not a condition, and never matches.
 */
const conditionPattern =
  /(<=|>=|≤|≥|<|>)\s*(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|%|x|×)?(?![\p{L}\d])/iu;

function unitOf(raw: string | undefined, value: number): { unit: MetricUnit; threshold: number; relative?: true } {
  const unit = (raw ?? '').toLowerCase();
  if (unit === '') return { unit: 'Count', threshold: value };
  if (unit === '%') return { unit: 'Percent', threshold: value };
  if (unit === 'x' || unit === '×') return { unit: 'None', threshold: value, relative: true };
  if (unit === 'ms' || unit.startsWith('millisecond')) return { unit: 'Milliseconds', threshold: value };
  // CloudWatch has no minute unit: minutes are expressed in seconds.
  if (unit.startsWith('min')) return { unit: 'Seconds', threshold: value * 60 };
  return { unit: 'Seconds', threshold: value };
}

/** Text outside round brackets, and the bracketed parts, kept apart so a "(target: …)" note cannot win over the line. */
function splitBrackets(text: string): { outside: string; inside: string[] } {
  const inside: string[] = [];
  const outside = text.replace(/\(([^()]*)\)/g, (_, inner: string) => {
    inside.push(inner);
    return ' ';
  });
  return { outside, inside };
}

/**
 * The metric condition a line of checklist text states, or undefined when it states none in the vocabulary.
 * The condition is the first comparator expression outside brackets, else the first inside brackets (so
 * "Latency benchmarks verified (<1ms p50)" and "p95 latency: 142ms (target: <200ms)" both yield a condition, while
 * in "API latency p95: <200ms (target: 142ms)" the threshold is 200).
 */
export function parseMetricCondition(text: string): MetricCondition | undefined {
  const { outside, inside } = splitBrackets(text);
  const match = [outside, ...inside].map((part) => conditionPattern.exec(part)).find((m) => m !== null);
  if (!match) return undefined;
  const [, symbol = '', number = '', rawUnit] = match;
  const comparison = comparisons[symbol];
  if (comparison === undefined) return undefined;

  const subjectText = outside.toLowerCase();
  const entry = METRIC_VOCABULARY.find((candidate) => candidate.subject.test(subjectText));
  if (!entry) return undefined;
  let metric = entry.metric;
  if (metric === 'api.latency') {
    const percentile = /\bp(\d{2})\b/i.exec(text);
    metric = percentile ? `api.latency.p${percentile[1]}` : 'api.latency.avg';
  }

  const { unit, threshold, relative } = unitOf(rawUnit, Number(number));
  // A figure too large for a number is no threshold anything could be compared with.
  if (!Number.isFinite(threshold)) return undefined;
  const condition: MetricCondition = { metric, comparison, threshold, unit };
  if (relative) condition.relativeToBaseline = true;
  if (/\bsustained\b/i.test(text)) {
    const minutes = /\b(?:sustained\s+)?for\s+(\d+)\s*(?:minutes?|mins?)\b/i.exec(text);
    const written = Number(minutes?.[1] ?? Number.NaN);
    condition.sustainedMinutes = Number.isSafeInteger(written) && written > 0 ? written : DEFAULT_SUSTAINED_MINUTES;
  }
  return condition;
}

// A release's rollback triggers evaluated on its samples, and the baselines that baseline-relative triggers scale by.
import type { RollbackTrigger, Template } from '../template/template.ts';
import type { ConditionResult, EvaluationRule } from './evaluation.ts';
import { aggregate, evaluateCondition, ruleFor } from './evaluation.ts';
import type { MetricSample } from './samples.ts';

/**
 * The baseline of `metric`: the average of its samples (those before `before` when given; the caller passes the
 * samples received before the production deployment started). A "memory > 2x normal" trigger
 * (`threshold: 2, relativeToBaseline`) then breaches when memory exceeds 2 x this value. Undefined without samples.
 */
export function captureBaseline(
  samples: readonly MetricSample[],
  metric: string,
  options: { before?: Date } = {},
): number | undefined {
  const limit = options.before?.getTime() ?? Number.POSITIVE_INFINITY;
  const values = samples
    .filter((s) => s.name === metric && Number.isFinite(s.value) && Date.parse(s.at) < limit)
    .map((s) => s.value);
  return aggregate(values, 'Average');
}

/** Baselines by metric name (see {@link captureBaseline}). */
export type Baselines = Readonly<Record<string, number>>;

/**
 * The baselines of a release: for each baseline-relative rollback trigger, the average of its metric's samples
 * received before production deployment started (`productionStartedAt`; none before it starts).
 */
export function releaseBaselines(
  template: Template,
  productionStartedAt: string | undefined,
  samples: readonly MetricSample[],
): Baselines {
  const before = productionStartedAt ? new Date(productionStartedAt) : new Date(0);
  const baselines: Record<string, number> = {};
  for (const trigger of template.rollback.triggers) {
    const metric = trigger.condition?.relativeToBaseline ? trigger.condition.metric : undefined;
    if (!metric) continue;
    const value = captureBaseline(samples, metric, { before });
    if (value !== undefined) baselines[metric] = value;
  }
  return baselines;
}

/** Options of {@link evaluateTriggers}. */
export interface TriggerOptions {
  now: Date;
  baselines?: Baselines;
  /** The local runtime's time scale: periods are divided by it (a 60 s period lasts 60/timeScale s). Default 1. */
  timeScale?: number;
  /** Overrides applied to every trigger's rule. */
  rule?: Partial<EvaluationRule>;
}

/** A trigger and how it evaluated. */
export interface TriggerEvaluation {
  trigger: RollbackTrigger;
  result: ConditionResult;
}

/** Evaluates every rollback trigger of `template` that has a metric condition, in template order. */
export function evaluateTriggers(
  template: Template,
  samples: readonly MetricSample[],
  options: TriggerOptions,
): TriggerEvaluation[] {
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new RangeError(`timeScale must be positive, got ${scale}`);
  const out: TriggerEvaluation[] = [];
  for (const trigger of template.rollback.triggers) {
    const condition = trigger.condition;
    if (!condition) continue;
    // Scaled time shortens periods, but never below a second: samples are stamped when they arrive, and a period
    // shorter than the path from arrival to evaluation would never hold the sample just sent. M and N are those of
    // the real period ("sustained for 5 minutes" stays 5 of 5), as the local CloudWatch evaluates its alarms.
    const real = ruleFor(condition, options.rule);
    const result = evaluateCondition(condition, samples, {
      now: options.now,
      rule: { ...real, period: Math.max(1, real.period / scale) },
      baseline: options.baselines?.[condition.metric],
    });
    out.push({ trigger, result });
  }
  return out;
}

/** The triggers of {@link evaluateTriggers} that are in ALARM: the breaches that call for a rollback. */
export function breaches(
  template: Template,
  samples: readonly MetricSample[],
  options: TriggerOptions,
): TriggerEvaluation[] {
  return evaluateTriggers(template, samples, options).filter((e) => e.result.state === 'ALARM');
}

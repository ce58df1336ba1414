// The release use cases of monitoring and rollback: metric samples judged against the rollback triggers and
// metric-backed items, CloudWatch alarms, window reports, and rollbacks requested, proposed or dismissed.
import type { Actor, ActorRef } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { RuleViolation } from '../errors.ts';
import type { ReleaseKernel } from '../release/context.ts';
import { assertInFlight, SYSTEM } from '../release/context.ts';
import { decideItemUpdate, findPhase, isTerminal } from '../release/release.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import { startEscalation } from '../workflow/escalation.ts';
import { decideRollbackRequest, inProduction, rollbackRequested } from '../workflow/workflow.ts';
import type { MetricItemResult, MetricSample, WindowReport } from './metrics.ts';
import { breaches, evaluateMetricItems, formatNumber, releaseBaselines } from './metrics.ts';
import { windowReports, windowSpans } from './window-reports.ts';

/** What POST /metrics answers: whether the samples were evaluated, what breached, and what that did. */
export interface MetricsOutcome {
  readonly accepted: number;
  /** False outside a monitoring window: the samples are kept (a baseline before deployment) but judge nothing. */
  readonly evaluated: boolean;
  readonly window?: string | undefined;
  readonly rollbackPolicy?: 'automatic' | 'approval' | undefined;
  /** What the breaches did: a rollback requested now, one already requested (by an alarm), or one proposed. */
  readonly rollback?: 'requested' | 'already-requested' | 'proposed' | undefined;
  readonly breaches: readonly {
    readonly trigger: string;
    readonly title: string;
    readonly observed: number | undefined;
    readonly threshold: number | null;
    readonly datapoints: number;
  }[];
  readonly items: readonly MetricItemResult[];
}

export function makeMonitoringUseCases(kernel: ReleaseKernel) {
  const { store, clock, ids, timeScale, reportWorkflowError } = kernel;
  const { now, event, events, load, retrying, respond, startPaging } = kernel;

  /**
   * Requests a rollback on behalf of someone (a person, or Shipgate itself when a trigger or an alarm fires). With
   * `triggered`, a rollback already requested is no error: two triggers may fire at once (the samples of one request,
   * and the CloudWatch alarm on the same samples), and the second has nothing left to do. It is judged on the state
   * the write is decided on, so no race between them can turn it into an error. A person asking twice gets the 409.
   */
  async function rollBack(
    by: ActorRef,
    releaseId: string,
    reason: string,
    trigger?: string,
    options: { readonly triggered?: boolean } = {},
  ): Promise<{ view: ReleaseView; already: boolean }> {
    const { agg, already } = await retrying(async () => {
      const current = await load(releaseId);
      if (options.triggered && rollbackRequested(current.release.status)) return { agg: current, already: true };
      const at = now();
      const requested = decideRollbackRequest(current.release, reason, by, at, trigger);
      // A rollback pages the escalation chain's first level, until someone acknowledges.
      const escalation = startEscalation(requested, current.template, 'rollback', reason, ids.eventId(), at);
      const next = escalation?.release ?? requested;
      await store.saveRelease(next, current.release.revision, [
        event(releaseId, 'rollback.requested', by, at, { reason, ...(trigger ? { trigger } : {}) }),
        ...(escalation ? events(releaseId, [escalation.event], by, at) : []),
      ]);
      return { agg: { ...current, release: next }, already: false };
    });
    if (!already) {
      await startPaging(agg.release);
      // The loaded token is the waiting task's; a task that stores its token after this sees the request itself.
      try {
        await respond(agg);
      } catch (error) {
        reportWorkflowError(error, { releaseId, during: 'rollback' });
      }
    }
    return { view: releaseView(agg), already };
  }

  /** Records that a trigger fired in a window whose policy asks the release manager (POST /rollback approves). */
  async function proposeRollback(releaseId: string, reason: string, trigger: string, figures: unknown): Promise<void> {
    await retrying(async () => {
      const current = await load(releaseId);
      const at = now();
      const next = {
        ...current.release,
        rollbackProposal: { reason, trigger, at },
        revision: current.release.revision + 1,
        updatedAt: at,
      };
      await store.saveRelease(next, current.release.revision, [
        event(releaseId, 'rollback.proposed', SYSTEM, at, { reason, trigger, breaches: figures }),
      ]);
    });
  }

  /** Ticks a metric-backed item from the figures, unless it already says the same. */
  async function tickMetricItem(releaseId: string, itemId: string, status: 'done' | 'failed', evidence: string) {
    await retrying(async () => {
      const agg = await load(releaseId);
      const at = now();
      const current = agg.items.get(itemId);
      if (current?.status === status && current.evidence?.note === evidence) return;
      const { previous, next } = decideItemUpdate(
        agg,
        itemId,
        { status, evidence: { note: evidence }, reason: status === 'failed' ? evidence : undefined },
        SYSTEM,
        at,
      );
      await store.saveItem(
        releaseId,
        next,
        previous.version,
        event(releaseId, 'item.updated', SYSTEM, at, {
          itemId,
          from: previous.status,
          to: next.status,
          version: next.version,
          evidence: { note: evidence },
        }),
      );
    });
  }

  return {
    /** Asks for a rollback: allowed from DEPLOYING onward; the workflow moves into the rollback states. */
    async requestRollback(actor: Actor, releaseId: string, reason: string, trigger?: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'rollback-release' });
      return (await rollBack(actorRef(actor), releaseId, reason, trigger)).view;
    },

    /**
     * Takes metric samples (CI, a monitoring agent), then, while a monitoring window runs, evaluates the
     * template's rollback triggers and the window's metric-backed items on them. A trigger in ALARM rolls the
     * release back at once, or proposes the rollback to the release manager, as the window's policy says; items
     * are ticked done or failed with the figures as evidence.
     */
    async recordMetrics(
      actor: Actor,
      releaseId: string,
      input: readonly (Omit<MetricSample, 'at'> & { at?: string | undefined })[],
    ): Promise<MetricsOutcome> {
      authorize(actor, { kind: 'push-metrics' });
      const agg = await load(releaseId);
      assertInFlight(agg.release);
      const at = now();
      const samples: MetricSample[] = input.map((sample) => ({ ...sample, at: sample.at ?? at }));
      await store.saveSamples(releaseId, samples);
      const wait = agg.release.wait;
      const window =
        wait?.kind === 'window'
          ? findPhase(agg.template, wait.phase)?.windows?.find((candidate) => candidate.id === wait.window)
          : undefined;
      if (wait?.kind !== 'window' || !window) {
        return { accepted: samples.length, evaluated: false, breaches: [], items: [] };
      }
      const all = await store.listSamples(releaseId);
      const baselines = releaseBaselines(agg.template, agg.release.productionStartedAt, all);
      const inWindow = all.filter((sample) => sample.at >= wait.since);
      const clockNow = clock.now();
      const found = breaches(agg.template, inWindow, { now: clockNow, baselines, timeScale });
      const section = agg.template.phases
        .flatMap((phase) => phase.sections)
        .find((candidate) => candidate.id === window.sectionId);
      const judged = evaluateMetricItems(section?.items ?? [], inWindow, {
        now: clockNow,
        from: new Date(wait.since),
        baselines,
      });
      for (const result of judged) {
        if (result.status === 'pending') continue;
        await tickMetricItem(releaseId, result.itemId, result.status, result.evidence).catch((error: unknown) =>
          reportWorkflowError(error, { releaseId, during: 'metric item' }),
        );
      }
      const summary = found.map(({ trigger, result }) => ({
        trigger: trigger.id,
        title: trigger.title,
        observed: result.observed,
        threshold: result.threshold,
        datapoints: result.datapoints.filter((point) => point.breaching).length,
      }));
      const first = found[0];
      let rollback: 'requested' | 'already-requested' | 'proposed' | undefined;
      if (first) {
        const reason =
          `${first.trigger.title}: observed ${formatNumber(first.result.observed ?? Number.NaN)}` +
          ` (threshold ${formatNumber(first.result.threshold ?? Number.NaN)}) during ${window.name}`;
        if (window.rollbackPolicy === 'automatic') {
          const { already } = await rollBack(SYSTEM, releaseId, reason, first.trigger.id, { triggered: true });
          rollback = already ? 'already-requested' : 'requested';
        } else {
          await proposeRollback(releaseId, reason, first.trigger.id, summary);
          rollback = 'proposed';
        }
      }
      return {
        accepted: samples.length,
        evaluated: true,
        window: window.id,
        rollbackPolicy: window.rollbackPolicy,
        rollback,
        breaches: summary,
        items: judged,
      };
    },

    /**
     * A CloudWatch alarm changed state. Going into ALARM, it rolls back every release that named it (or that its
     * ReleaseId dimension points at) once production deployment has started, as the current window's policy says
     * (automatic outside monitoring windows). Before deployment it is recorded and blocks nothing: the fix must
     * stay deployable.
     */
    async onAlarm(alarm: {
      readonly name: string;
      readonly state: string;
      readonly reason: string;
      readonly releaseId?: string | undefined;
    }): Promise<{ releaseId: string; outcome: 'rolled-back' | 'proposed' | 'recorded' | 'ignored' }[]> {
      if (alarm.state !== 'ALARM') return [];
      const named = await store.releasesForAlarm(alarm.name);
      const ids = [...new Set([...(alarm.releaseId ? [alarm.releaseId] : []), ...named])];
      const outcomes: { releaseId: string; outcome: 'rolled-back' | 'proposed' | 'recorded' | 'ignored' }[] = [];
      for (const releaseId of ids) {
        const agg = await store.load(releaseId);
        if (!agg || isTerminal(agg.release)) {
          outcomes.push({ releaseId, outcome: 'ignored' });
          continue;
        }
        const reason = `CloudWatch alarm ${alarm.name}: ${alarm.reason}`.slice(0, 2000);
        if (!inProduction(agg.release.status)) {
          // Before deployment the alarm blocks nothing (the fix must stay deployable); during a rollback already
          // under way there is nothing more to trigger. Either way it is part of the record.
          await retrying(async () => {
            const current = await load(releaseId);
            const at = now();
            const next = { ...current.release, revision: current.release.revision + 1, updatedAt: at };
            await store.saveRelease(next, current.release.revision, [
              event(releaseId, 'alarm.received', SYSTEM, at, {
                alarm: alarm.name,
                reason: alarm.reason,
                blocking: false,
                during: rollbackRequested(agg.release.status) ? 'rollback' : 'before-deployment',
              }),
            ]);
          });
          outcomes.push({ releaseId, outcome: 'recorded' });
          continue;
        }
        const wait = agg.release.wait;
        const window =
          wait?.kind === 'window'
            ? findPhase(agg.template, wait.phase)?.windows?.find((candidate) => candidate.id === wait.window)
            : undefined;
        // An alarm Shipgate created for a trigger of this release (`<prefix>-<releaseId>-<triggerId>`) is that
        // trigger firing in CloudWatch: the rollback names the trigger, as the API's own evaluation would.
        const own = agg.template.rollback.triggers.find(
          (trigger) =>
            trigger.condition && alarm.releaseId === releaseId && alarm.name.endsWith(`-${releaseId}-${trigger.id}`),
        );
        const trigger = own?.id ?? `alarm:${alarm.name}`;
        if (window?.rollbackPolicy === 'approval') {
          await proposeRollback(releaseId, reason, trigger, { alarm: alarm.name, reason: alarm.reason });
          outcomes.push({ releaseId, outcome: 'proposed' });
        } else {
          const { already } = await rollBack(SYSTEM, releaseId, reason, trigger, { triggered: true });
          outcomes.push({ releaseId, outcome: already ? 'ignored' : 'rolled-back' });
        }
      }
      return outcomes;
    },

    /** How the release did in each monitoring window so far: figures per metric against targets and triggers. */
    async report(actor: Actor, releaseId: string): Promise<{ releaseId: string; windows: WindowReport[] }> {
      authorize(actor, { kind: 'read' });
      const agg = await load(releaseId);
      const spans = await windowSpans(store, releaseId);
      const ranges = new Map(
        [...spans].map(([id, span]) => [id, { from: span.startedAt, to: span.passedAt ?? now() }]),
      );
      return { releaseId, windows: await windowReports(store, agg, ranges) };
    },

    /**
     * Dismisses a rollback a trigger proposed: the release manager decides to keep the release, with a reason
     * (recorded). To roll back instead, POST /rollback.
     */
    async dismissRollback(actor: Actor, releaseId: string, reason: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'rollback-release' });
      const agg = await retrying(async () => {
        const current = await load(releaseId);
        const proposal = current.release.rollbackProposal;
        if (!proposal) {
          throw new RuleViolation('nothing-to-dismiss', 'no rollback is proposed for this release');
        }
        const at = now();
        const next = {
          ...current.release,
          rollbackProposal: undefined,
          revision: current.release.revision + 1,
          updatedAt: at,
        };
        await store.saveRelease(next, current.release.revision, [
          event(releaseId, 'rollback.dismissed', actorRef(actor), at, {
            reason,
            proposal: proposal.reason,
            trigger: proposal.trigger,
          }),
        ]);
        return { ...current, release: next };
      });
      return releaseView(agg);
    },
  };
}

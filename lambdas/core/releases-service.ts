// The use cases of releases: authorize, load, decide with the rules, write atomically, tell the workflow.
import type { Actor, ActorRef } from './actor.ts';
import { actorRef } from './actor.ts';
import { NotFound, RuleViolation, StaleVersion } from './errors.ts';
import type { EscalationNext } from './escalation.ts';
import { acknowledge, acknowledgingRoles, escalationStep, startEscalation } from './escalation.ts';
import type { Baselines, MetricItemResult, MetricSample, WindowReport } from './metrics.ts';
import { breaches, evaluateMetricItems, formatNumber, releaseBaselines, windowReport } from './metrics.ts';
import { authorize } from './permissions.ts';
import type { Clock, IdGenerator, Page, PageQuery, ReleaseStore, TemplateCatalog, WorkflowEngine } from './ports.ts';
import type {
  AuditEvent,
  AuditEventType,
  ItemUpdate,
  Release,
  ReleaseAggregate,
  ReleaseStatus,
  Signoff,
  SignoffInput,
} from './release.ts';
import {
  decideItemUpdate,
  decideSignoff,
  decideWithdrawal,
  findGate,
  findPhase,
  gateStatus,
  isTerminal,
  itemIndex,
  RELEASE_STATUSES,
  STATUS_OF_PHASE,
  signoffKey,
  TERMINAL_STATUSES,
} from './release.ts';
import type { Template } from './template.ts';
import type { ItemView, ReleaseView } from './view.ts';
import { itemView, releaseView } from './view.ts';
import type { Next, Outcome, TransitionEvent } from './workflow.ts';
import {
  decideCancel,
  decideRollbackRequest,
  inProduction,
  ROLLBACK_STEP_FAILED,
  ROLLBACK_TRIGGERED,
  transition,
  waitStatus,
} from './workflow.ts';

export interface ReleasesServiceDeps {
  readonly store: ReleaseStore;
  readonly templates: TemplateCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly workflow: WorkflowEngine;
  /** How much faster than real time monitoring windows and waits pass (the local runtime's SHIPGATE_TIME_SCALE). */
  readonly timeScale?: number;
  /** Told when the workflow could not be told of a change that was saved; the change stands either way. */
  readonly onWorkflowError?: (error: unknown, context: Record<string, unknown>) => void;
  /** Waits before retrying a write that lost a race; the default backs off exponentially with full jitter. */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** How often a write that lost a race is decided again on fresh state before giving up with 409. @default 30 */
  readonly maxAttempts?: number;
}

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

export interface CreateReleaseInput {
  /** CloudWatch alarms to watch: one going into ALARM after production deployment starts rolls the release back. */
  readonly alarmNames?: readonly string[] | undefined;
  readonly templateId: string;
  readonly name: string;
  readonly version: string;
  readonly description?: string | undefined;
  readonly plannedAt?: string | undefined;
}

const defaultBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

const SYSTEM: ActorRef = { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' };

export function makeReleasesService(deps: ReleasesServiceDeps) {
  const { store, templates, clock, ids, workflow } = deps;
  const backoff = deps.backoff ?? defaultBackoff;
  const maxAttempts = deps.maxAttempts ?? 30;
  const timeScale = deps.timeScale ?? 1;
  const reportWorkflowError = deps.onWorkflowError ?? (() => undefined);

  const now = (): string => clock.now().toISOString();

  const event = (releaseId: string, type: AuditEventType, by: ActorRef, at: string, data: AuditEvent['data']) => ({
    id: ids.eventId(),
    releaseId,
    type,
    at,
    actor: by,
    data,
  });

  const events = (releaseId: string, list: readonly TransitionEvent[], by: ActorRef, at: string): AuditEvent[] =>
    list.map((entry) => event(releaseId, entry.type, by, at, entry.data));

  async function load(releaseId: string): Promise<ReleaseAggregate> {
    const agg = await store.load(releaseId);
    if (!agg) throw new NotFound('release', releaseId);
    return agg;
  }

  /**
   * Runs load-decide-write until the write lands. A write that lost a race is decided again on fresh state, so a
   * concurrent change is never overwritten and every rule is checked against what is really stored.
   */
  async function retrying<T>(attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 0; ; n += 1) {
      try {
        return await attempt(n);
      } catch (error) {
        if (
          !(error instanceof StaleVersion) ||
          n + 1 >= maxAttempts ||
          error.extensions.expectedVersion !== undefined
        ) {
          throw error;
        }
        await backoff(n);
      }
    }
  }

  function template(templateId: string): Template {
    const found = templates.get(templateId);
    if (!found) throw new NotFound('template', templateId);
    return found;
  }

  /**
   * Answers the workflow's callback when the release's wait is over: satisfied, or (for a rollback) failed, or a
   * rollback was requested. Reads the release afresh after a change, so that of two concurrent changes that
   * together satisfy a gate, the later one sees both. Returns whether a callback was answered.
   */
  async function respond(agg: ReleaseAggregate): Promise<boolean> {
    const { release, task } = agg;
    if (!task || release.wait?.id !== task.waitId) return false;
    if (release.status === 'ROLLBACK_REQUESTED') {
      return workflow.fail(task.token, ROLLBACK_TRIGGERED, release.rollback?.reason ?? 'rollback requested');
    }
    const status = waitStatus(agg);
    if (status?.failed) return workflow.fail(task.token, ROLLBACK_STEP_FAILED, status.failed);
    if (status?.satisfied) return workflow.succeed(task.token, { waitId: task.waitId });
    return false;
  }

  async function nudge(releaseId: string): Promise<void> {
    try {
      const agg = await store.load(releaseId);
      if (agg) await respond(agg);
    } catch (error) {
      // The change is saved; the workflow looks again when its wait is next re-checked or on POST /advance.
      reportWorkflowError(error, { releaseId });
    }
  }

  /** Requests a rollback on behalf of someone (a person, or Shipgate itself on a metric breach). */
  async function rollBack(by: ActorRef, releaseId: string, reason: string, trigger?: string): Promise<ReleaseView> {
    const agg = await retrying(async () => {
      const current = await load(releaseId);
      const at = now();
      const requested = decideRollbackRequest(current.release, reason, by, at, trigger);
      // A rollback pages the escalation chain's first level, until someone acknowledges.
      const escalation = startEscalation(requested, current.template, 'rollback', reason, ids.eventId(), at);
      const next = escalation?.release ?? requested;
      await store.saveRelease(next, current.release.revision, [
        event(releaseId, 'rollback.requested', by, at, { reason, ...(trigger ? { trigger } : {}) }),
        ...(escalation ? events(releaseId, [escalation.event], by, at) : []),
      ]);
      return { ...current, release: next };
    });
    await startPaging(agg.release);
    // The loaded token is the waiting task's; a task that stores its token after this sees the request itself.
    try {
      await respond(agg);
    } catch (error) {
      reportWorkflowError(error, { releaseId, during: 'rollback' });
    }
    return releaseView(agg);
  }

  /**
   * Rolls a release back because a trigger or an alarm fired. Two of them may fire at once (the samples of one
   * request, and the CloudWatch alarm on the same samples): the one that finds the rollback already requested has
   * nothing left to do, which is not an error for it.
   */
  async function rollBackOnTrigger(
    releaseId: string,
    reason: string,
    trigger: string,
  ): Promise<'rolled-back' | 'already'> {
    try {
      await rollBack(SYSTEM, releaseId, reason, trigger);
      return 'rolled-back';
    } catch (error) {
      if (!(error instanceof RuleViolation && error.code === 'rollback-not-allowed')) throw error;
      const status = (await store.getHeader(releaseId))?.status;
      if (status === 'ROLLBACK_REQUESTED' || status === 'ROLLING_BACK' || status === 'ROLLED_BACK') return 'already';
      throw error;
    }
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

  /** Baselines of the template's relative conditions: their metrics' average before production deployment. */
  function baselinesOf(agg: ReleaseAggregate, samples: readonly MetricSample[]): Baselines {
    return releaseBaselines(agg.template, agg.release.productionStartedAt, samples);
  }

  /** Starts the escalation execution of a release whose escalation has not paged yet; failures are reported. */
  async function startPaging(release: Release): Promise<void> {
    const escalation = release.escalation;
    if (escalation?.state !== 'paging' || escalation.level > 0) return;
    try {
      await workflow.startEscalation(release.id, escalation.id);
    } catch (error) {
      reportWorkflowError(error, { releaseId: release.id, during: 'escalation' });
    }
  }

  function assertInFlight(release: Release): void {
    if (isTerminal(release)) {
      throw new RuleViolation('release-closed', `release ${release.id} is ${release.status}`, {
        releaseStatus: release.status,
      });
    }
  }

  async function saveSignoff(agg: ReleaseAggregate, signoff: Signoff, actor: Actor, type: AuditEventType) {
    await store.saveSignoff(
      agg.release,
      signoff,
      event(agg.release.id, type, actorRef(actor), signoff.at, {
        gate: signoff.gate,
        role: signoff.role,
        decision: signoff.decision,
        ...(signoff.comment ? { comment: signoff.comment } : {}),
        revision: agg.release.revision + 1,
      }),
    );
    const signoffs = new Map(agg.signoffs).set(signoffKey(signoff.gate, signoff.role), signoff);
    const release = { ...agg.release, revision: agg.release.revision + 1, updatedAt: signoff.at };
    const { phase } = findGate(agg.template, signoff.gate);
    const after = { ...agg, release, signoffs };
    return {
      signoff,
      release: { id: release.id, revision: release.revision, status: release.status },
      gate: phase ? gateStatus(after, phase) : waitStatus(after)?.gate,
    };
  }

  return {
    async createRelease(actor: Actor, input: CreateReleaseInput): Promise<ReleaseView> {
      authorize(actor, { kind: 'create-release' });
      const snapshot = template(input.templateId);
      const first = snapshot.phases[0];
      if (!first) throw new NotFound('template phase', input.templateId);
      const at = now();
      const draft: Release = {
        id: ids.id(),
        templateId: snapshot.id,
        templateName: snapshot.name,
        name: input.name,
        version: input.version,
        description: input.description,
        plannedAt: input.plannedAt,
        ...(input.alarmNames?.length ? { alarmNames: [...new Set(input.alarmNames)] } : {}),
        status: STATUS_OF_PHASE[first.kind],
        currentPhase: first.id,
        stepIndex: 0,
        windowIndex: 0,
        revision: 1,
        createdAt: at,
        createdBy: actorRef(actor),
        updatedAt: at,
      };
      // The first wait is decided here, so the release says what it waits for from its first read on.
      const empty = { template: snapshot, items: new Map(), signoffs: new Map() };
      const first_ = transition({ ...empty, release: draft }, { kind: 'start' }, clock.now(), { timeScale });
      const release = { ...first_.release, revision: 1 };
      await store.create(release, snapshot, [
        event(release.id, 'release.created', actorRef(actor), at, {
          templateId: snapshot.id,
          name: release.name,
          version: release.version,
          status: release.status,
          phase: release.currentPhase,
        }),
        ...events(release.id, first_.events, SYSTEM, at),
      ]);
      // Named after the release, the execution cannot be started twice; if this fails, POST /advance starts it.
      try {
        await workflow.start(release.id);
      } catch (error) {
        reportWorkflowError(error, { releaseId: release.id, during: 'start' });
      }
      return releaseView({ ...empty, release });
    },

    async getRelease(actor: Actor, releaseId: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'read' });
      return releaseView(await load(releaseId));
    },

    async listReleases(
      actor: Actor,
      query: PageQuery & { status?: ReleaseStatus | undefined },
    ): Promise<Page<Release>> {
      authorize(actor, { kind: 'read' });
      return store.list(query);
    },

    async updateItem(actor: Actor, releaseId: string, itemId: string, update: ItemUpdate): Promise<ItemView> {
      // Refused before anything is read, a caller who may not write items learns nothing of which releases exist.
      authorize(actor, { kind: 'update-item', itemId });
      const view = await retrying(async () => {
        const agg = await load(releaseId);
        const entry = itemIndex(agg.template).get(itemId);
        if (!entry) throw new NotFound('item', itemId);
        authorize(actor, {
          kind: 'update-item',
          itemId,
          item: entry.item,
          teamRoles: agg.template.roles.map((r) => r.id),
        });
        const at = now();
        const { previous, next } = decideItemUpdate(agg, itemId, update, actorRef(actor), at);
        await store.saveItem(
          releaseId,
          next,
          previous.version,
          event(releaseId, 'item.updated', actorRef(actor), at, {
            itemId,
            from: previous.status,
            to: next.status,
            version: next.version,
            ...(next.evidence ? { evidence: next.evidence } : {}),
            ...(next.reason ? { reason: next.reason } : {}),
          }),
        );
        const items = new Map(agg.items).set(itemId, next);
        return itemView({ ...agg, items }, entry.item);
      });
      await nudge(releaseId);
      return view;
    },

    async recordSignoff(actor: Actor, releaseId: string, input: SignoffInput) {
      authorize(actor, { kind: 'sign', role: input.role });
      const result = await retrying(async () => {
        const agg = await load(releaseId);
        const signoff = decideSignoff(agg, input, actorRef(actor), now());
        return saveSignoff(agg, signoff, actor, 'signoff.recorded');
      });
      await nudge(releaseId);
      return result;
    },

    async withdrawSignoff(actor: Actor, releaseId: string, gate: string, role: string) {
      authorize(actor, { kind: 'withdraw-signoff', role });
      return retrying(async () => {
        const agg = await load(releaseId);
        const signoff = decideWithdrawal(agg, gate, role, actorRef(actor), now());
        return saveSignoff(agg, signoff, actor, 'signoff.withdrawn');
      });
    },

    async listEvents(actor: Actor, releaseId: string, query: PageQuery): Promise<Page<AuditEvent>> {
      authorize(actor, { kind: 'read' });
      const page = await store.listEvents(releaseId, query);
      // Every release has its creation event, so an empty page may mean the release does not exist.
      if (page.items.length === 0 && !(await store.getHeader(releaseId))) {
        throw new NotFound('release', releaseId);
      }
      return page;
    },

    /**
     * Evaluates what the release waits for now: if it is satisfied, the workflow moves on; if not, a 409 lists
     * exactly what is missing. Also starts the workflow of a release whose start failed.
     */
    async advance(actor: Actor, releaseId: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'advance-release' });
      const agg = await load(releaseId);
      assertInFlight(agg.release);
      // The execution is named after the release, so this starts one only if the start at creation failed; one
      // that is running and has not recorded itself yet is left alone.
      if (!agg.release.executionId) await workflow.start(releaseId);
      const view = releaseView(agg);
      const waiting = view.waitingFor;
      if (!waiting?.satisfied && agg.release.status !== 'ROLLBACK_REQUESTED') {
        throw new RuleViolation(
          waiting?.kind === 'window' ? 'window-running' : 'wait-not-satisfied',
          waiting?.summary ?? 'the release waits for its workflow',
          { waitingFor: waiting },
        );
      }
      await respond(agg);
      return view;
    },

    /** Asks for a rollback: allowed from DEPLOYING onward; the workflow moves into the rollback states. */
    async requestRollback(actor: Actor, releaseId: string, reason: string, trigger?: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'rollback-release' });
      return rollBack(actorRef(actor), releaseId, reason, trigger);
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
      const baselines = baselinesOf(agg, all);
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
          const done = await rollBackOnTrigger(releaseId, reason, first.trigger.id);
          rollback = done === 'rolled-back' ? 'requested' : 'already-requested';
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
          const rollingBack = agg.release.status === 'ROLLBACK_REQUESTED' || agg.release.status === 'ROLLING_BACK';
          await retrying(async () => {
            const current = await load(releaseId);
            const at = now();
            const next = { ...current.release, revision: current.release.revision + 1, updatedAt: at };
            await store.saveRelease(next, current.release.revision, [
              event(releaseId, 'alarm.received', SYSTEM, at, {
                alarm: alarm.name,
                reason: alarm.reason,
                blocking: false,
                during: rollingBack ? 'rollback' : 'before-deployment',
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
          const done = await rollBackOnTrigger(releaseId, reason, trigger);
          outcomes.push({ releaseId, outcome: done === 'rolled-back' ? 'rolled-back' : 'ignored' });
        }
      }
      return outcomes;
    },

    /** How the release did in each monitoring window so far: figures per metric against targets and triggers. */
    async report(actor: Actor, releaseId: string): Promise<{ releaseId: string; windows: WindowReport[] }> {
      authorize(actor, { kind: 'read' });
      const agg = await load(releaseId);
      const all = await store.listSamples(releaseId);
      const baselines = baselinesOf(agg, all);
      const started = new Map<string, string>();
      const passed = new Map<string, string>();
      let cursor: string | undefined;
      do {
        const page = await store.listEvents(releaseId, { limit: 200, cursor });
        for (const entry of page.items) {
          if (entry.type === 'window.started') started.set(String(entry.data.window), entry.at);
          if (entry.type === 'window.passed') passed.set(String(entry.data.window), entry.at);
        }
        cursor = page.cursor;
      } while (cursor);
      const windows = agg.template.phases.flatMap((phase) => phase.windows ?? []);
      return {
        releaseId,
        windows: windows.flatMap((window) => {
          const from = started.get(window.id);
          if (!from) return [];
          const to = passed.get(window.id) ?? now();
          return [windowReport(agg.template, window, all, { from: new Date(from), to: new Date(to), baselines })];
        }),
      };
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

    /** Cancels a release before production deployment starts, and stops its workflow. */
    async cancel(actor: Actor, releaseId: string, reason: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'cancel-release' });
      const agg = await retrying(async () => {
        const current = await load(releaseId);
        const at = now();
        const next = decideCancel(current.release, at);
        await store.saveRelease(next, current.release.revision, [
          event(releaseId, 'release.cancelled', actorRef(actor), at, { reason, from: current.release.status }),
        ]);
        return { ...current, release: next };
      });
      if (agg.release.executionId) await workflow.stop(agg.release.executionId, `cancelled: ${reason}`);
      return releaseView(agg);
    },

    /**
     * Hands a release to a new execution that continues where it stands, and stops the old one: after a new
     * state machine definition is deployed, or when an execution was lost.
     */
    async resume(actor: Actor, releaseId: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'advance-release' });
      const agg = await retrying(async () => {
        const current = await load(releaseId);
        assertInFlight(current.release);
        const at = now();
        const next = { ...current.release, revision: current.release.revision + 1, updatedAt: at };
        await store.saveRelease(next, current.release.revision, [
          event(releaseId, 'workflow.resume-requested', actorRef(actor), at, {
            previousExecution: current.release.executionId ?? null,
          }),
        ]);
        return { ...current, release: next };
      });
      // An execution that has not recorded itself yet is superseded all the same: its next decision ends it.
      const previous = agg.release.executionId;
      await workflow.start(releaseId, { resume: true });
      if (previous) await workflow.stop(previous, 'superseded by a resumed execution');
      return releaseView(agg);
    },

    /**
     * Starts a resuming execution for every release in flight: after a restart of the local runtime, or after a
     * new state machine definition is deployed. Each continues at its stored phase, step or window.
     */
    async resumeInFlight(): Promise<string[]> {
      const resumed: string[] = [];
      for (const status of RELEASE_STATUSES.filter((candidate) => !TERMINAL_STATUSES.has(candidate))) {
        let cursor: string | undefined;
        do {
          const page = await store.list({ status, limit: 100, cursor });
          for (const release of page.items) {
            await workflow.start(release.id, { resume: true });
            resumed.push(release.id);
          }
          for (const release of page.items) {
            const escalation = release.escalation;
            if (escalation?.state === 'paging') {
              // A restarted escalation waits its interval again at the level already paged.
              await workflow.startEscalation(release.id, escalation.id).catch(() => undefined);
            }
          }
          cursor = page.cursor;
        } while (cursor);
      }
      return resumed;
    },

    /**
     * The workflow's Decide task: applies what ended the last wait and decides the next one. A gate reported
     * overdue also pages the escalation chain.
     */
    async decide(releaseId: string, outcome: Outcome, executionId: string): Promise<Next> {
      const { next, release } = await retrying(async () => {
        const agg = await load(releaseId);
        const step = transition(agg, outcome, clock.now(), { timeScale, executionId });
        const overdue = step.events.find((entry) => entry.type === 'gate.overdue');
        const escalation = overdue
          ? startEscalation(step.release, agg.template, 'gate-overdue', String(overdue.data.gate), ids.eventId(), now())
          : undefined;
        const nextRelease = escalation?.release ?? step.release;
        if (step.changed) {
          const all = escalation ? [...step.events, escalation.event] : step.events;
          await store.saveRelease(nextRelease, agg.release.revision, events(releaseId, all, SYSTEM, now()));
        }
        return { next: step.next, release: nextRelease };
      });
      await startPaging(release);
      return next;
    },

    /** Acknowledges the escalation paging for a release: it stops, recorded with who acknowledged. */
    async acknowledge(actor: Actor, releaseId: string, note?: string): Promise<ReleaseView> {
      const agg = await retrying(async () => {
        const current = await load(releaseId);
        authorize(actor, { kind: 'acknowledge', roles: acknowledgingRoles(current.template) });
        const at = now();
        const done = acknowledge(current.release, actorRef(actor), at, note);
        await store.saveRelease(
          done.release,
          current.release.revision,
          events(releaseId, [done.event], actorRef(actor), at),
        );
        return { ...current, release: done.release };
      });
      const task = agg.escalationTask;
      if (task && task.escalationId === agg.release.escalation?.id) {
        await workflow
          .succeed(task.token, { acknowledged: true })
          .catch((error: unknown) => reportWorkflowError(error, { releaseId, during: 'acknowledge' }));
      }
      return releaseView(agg);
    },

    /** The escalation's Page task: pages the next level, or ends the escalation. */
    async pageEscalation(
      releaseId: string,
      escalationId: string,
      outcome: 'start' | 'timeout' | 'acknowledged',
    ): Promise<EscalationNext> {
      return retrying(async () => {
        const agg = await load(releaseId);
        const step = escalationStep(agg.release, agg.template, escalationId, outcome, clock.now(), timeScale);
        if (step.changed) {
          await store.saveRelease(step.release, agg.release.revision, events(releaseId, step.events, SYSTEM, now()));
        }
        return step.next;
      });
    },

    /** The escalation's await task: keeps the token; answers at once if the escalation is no longer paging. */
    async awaitAcknowledgement(releaseId: string, escalationId: string, taskToken: string): Promise<void> {
      const kept = await store.saveEscalationToken(releaseId, escalationId, taskToken);
      const current = kept ? await store.getHeader(releaseId) : undefined;
      if (!kept || current?.escalation?.state !== 'paging') {
        await workflow.succeed(taskToken, { acknowledged: true });
      }
    },

    /**
     * The workflow's Await task: keeps the token with the release, then answers at once if the wait is already
     * over (so no change that landed before the token was stored is missed).
     */
    async awaitCallback(releaseId: string, waitId: string, taskToken: string): Promise<void> {
      const kept = await store.saveTaskToken(releaseId, waitId, taskToken);
      if (!kept) {
        // The release has moved past this wait: let the execution decide again.
        await workflow.succeed(taskToken, { waitId, stale: true });
        return;
      }
      await respond(await load(releaseId));
    },
  };
}

export type ReleasesService = ReturnType<typeof makeReleasesService>;

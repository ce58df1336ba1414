// The release use cases that drive its workflow execution: the Decide and Await tasks, advancing a release by
// hand, cancelling it, and handing releases to new executions.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { RuleViolation } from '../errors.ts';
import type { ReleaseKernel } from '../release/context.ts';
import { assertInFlight, SYSTEM } from '../release/context.ts';
import { RELEASE_STATUSES, TERMINAL_STATUSES } from '../release/release.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import { startEscalation } from './escalation.ts';
import type { Next, Outcome } from './workflow.ts';
import { decideCancel, transition } from './workflow.ts';

export function makeWorkflowUseCases(kernel: ReleaseKernel) {
  const { store, clock, ids, workflow, timeScale, now, event, events, load, retrying, respond, startPaging } = kernel;

  return {
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

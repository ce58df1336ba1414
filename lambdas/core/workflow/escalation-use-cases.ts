// The release use cases of escalation paging: the escalation execution's Page and await tasks, and a person
// acknowledging the page.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import type { ReleaseKernel } from '../release/context.ts';
import { SYSTEM } from '../release/context.ts';
import type { ReleaseView } from '../release/view.ts';
import { releaseView } from '../release/view.ts';
import type { EscalationNext } from './escalation.ts';
import { acknowledge, acknowledgingRoles, escalationStep } from './escalation.ts';

export function makeEscalationUseCases(kernel: ReleaseKernel) {
  const { store, clock, workflow, timeScale, reportWorkflowError, now, events, load, retrying } = kernel;

  return {
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
  };
}

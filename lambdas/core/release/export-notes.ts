// Pieces of the release export read from the audit trail: actors as written, events by type, the rollback's story.
import type { ActorRef } from '../auth/actor.ts';
import { inline, quoted } from '../template/markdown-text.ts';
import { ROLLBACK_CONFIRMER, ROLLBACK_GATE } from './gates.ts';
import type { AuditEvent, AuditEventType, ReleaseAggregate } from './release.ts';
import { signoffKey } from './release.ts';

/** A person or machine as the audit trail keeps them: name, and id when it says more. */
export function who(actor: ActorRef): string {
  const id = actor.id === actor.name ? '' : ` (${inline(actor.id)})`;
  return `${inline(actor.name) || inline(actor.id)}${id}${actor.kind === 'machine' ? ', a machine client' : ''}`;
}

/** Events of some types whose data holds the given values, oldest first. */
export function eventsOf(
  trail: readonly AuditEvent[],
  types: readonly AuditEventType[],
  data: Readonly<Record<string, string>> = {},
): AuditEvent[] {
  return trail.filter(
    (event) => types.includes(event.type) && Object.entries(data).every(([key, value]) => event.data[key] === value),
  );
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** What became of a requested rollback, from the release's status and the trail. */
function outcome(agg: ReleaseAggregate, trail: readonly AuditEvent[]): string {
  const [started] = eventsOf(trail, ['rollback.started']);
  const start = started ? `Rollback started at ${inline(started.at)}. ` : '';
  const [completed] = eventsOf(trail, ['rollback.completed']);
  const [failed] = eventsOf(trail, ['rollback.failed']);
  switch (agg.release.status) {
    case 'ROLLED_BACK':
      return `${start}Outcome: rolled back${completed ? ` at ${inline(completed.at)}` : ''}.`;
    case 'ROLLBACK_FAILED':
      return `${start}Outcome: the rollback failed${failed ? ` at ${inline(failed.at)}: ${quoted(text(failed.data.cause))}` : ''}.`;
    case 'ROLLING_BACK':
      return `${start}Outcome: the rollback is under way.`;
    default:
      return `${start}Outcome: the rollback waits to start.`;
  }
}

/**
 * The rollback's story for the rollback plan's heading: who asked and why (the trigger, when one fired), what became
 * of it, who confirmed it; proposals a trigger made and who dismissed them; the escalation paging for the release.
 */
export function rollbackNotes(agg: ReleaseAggregate, trail: readonly AuditEvent[]): string[] {
  const { release, template } = agg;
  const notes: string[] = [];
  for (const proposal of eventsOf(trail, ['rollback.proposed', 'rollback.dismissed'])) {
    const reason = quoted(text(proposal.data.reason));
    notes.push(
      proposal.type === 'rollback.proposed'
        ? `Rollback proposed at ${inline(proposal.at)}: ${reason}.`
        : `Rollback proposal dismissed by ${who(proposal.actor)} at ${inline(proposal.at)}: ${reason}.`,
    );
  }
  const rollback = release.rollback;
  if (!rollback) return notes.length > 0 ? notes : ['No rollback was requested.'];
  const trigger = template.rollback.triggers.find((candidate) => candidate.id === rollback.trigger);
  const fired = rollback.trigger ? ` when the trigger ${quoted(trigger?.title ?? rollback.trigger)} fired` : '';
  notes.push(
    `Rollback requested by ${who(rollback.requestedBy)} at ${inline(rollback.requestedAt)}${fired}. Reason: ${quoted(rollback.reason)}.`,
    outcome(agg, trail),
  );
  const confirmation = agg.signoffs.get(signoffKey(ROLLBACK_GATE, ROLLBACK_CONFIRMER));
  if (confirmation && confirmation.decision !== 'withdrawn') {
    const comment = confirmation.comment ? `: ${quoted(confirmation.comment)}` : '';
    const verb = confirmation.decision === 'approve' ? 'Confirmed' : 'Confirmation refused';
    notes.push(`${verb} by ${who(confirmation.by)} at ${inline(confirmation.at)}${comment}.`);
  }
  const escalation = release.escalation;
  if (escalation) {
    const ack = escalation.acknowledgedBy ? `, acknowledged by ${who(escalation.acknowledgedBy)}` : '';
    notes.push(
      `Escalation (${inline(escalation.reason)}): level ${escalation.level}, ${inline(escalation.state)}${ack}.`,
    );
  }
  return notes;
}

// A release as a filled-in Markdown checklist for an auditor: the template's checklist (template/export.ts) with who
// did what and when, evidence, reasons, sign-offs, the rollback and the monitoring outcome. Pure: no I/O.
// Every annotation is a later paragraph of a list item or a paragraph under a heading, and all user text is escaped,
// so importing the export gives the template's phases, sections, items and gates again.
import type { ActorRef } from '../auth/actor.ts';
import { checklistMarkdown, durationWords, type SignoffMark } from '../template/export.ts';
import { inline, link, quoted } from '../template/markdown-text.ts';
import type {
  DeploymentStep,
  Gate,
  MonitoringWindow,
  Phase,
  SignoffRequirement,
  TemplateItem,
} from '../template/template.ts';
import { eventsOf, rollbackNotes, who } from './export-notes.ts';
import { findPhase, itemStatus, leafState } from './items.ts';
import type { AuditEvent, AuditEventType, ReleaseAggregate, Signoff } from './release.ts';
import { signoffKey } from './release.ts';
import type { ItemStatus } from './status.ts';
import { isTerminal } from './status.ts';

/** The release's checklist, filled in from its state and its audit trail (oldest event first). */
export function releaseMarkdown(agg: ReleaseAggregate, trail: readonly AuditEvent[]): string {
  const { release } = agg;
  return checklistMarkdown(agg.template, {
    title: `${release.name} (version ${release.version})`,
    header: [headerList(agg, trail)],
    checked: (item) => itemStatus(agg, item) === 'done',
    itemNotes: (item) => itemNotes(agg, item),
    phaseNotes: (phase) => phaseNotes(agg, phase, trail),
    stepNotes: (step, item) => stepNotes(agg, step, item, trail),
    windowNotes: (window) => windowNotes(agg, window, trail),
    signoff: (gate, requirement) => signoffMark(agg, trail, gate, requirement),
    rollbackNotes: rollbackNotes(agg, trail),
    firedTrigger: release.rollback?.trigger,
  });
}

function headerList(agg: ReleaseAggregate, trail: readonly AuditEvent[]): string {
  const { release, template } = agg;
  const phase = findPhase(template, release.currentPhase);
  const templateVersion = release.templateVersion === undefined ? '' : `, version ${release.templateVersion}`;
  const windows = template.phases.flatMap((candidate) => candidate.windows ?? []);
  const passed = windows.filter((window) => eventsOf(trail, ['window.passed'], { window: window.id }).length > 0);
  const facts: [string, string][] = [
    ['Release', `${inline(release.name)} (${inline(release.id)})`],
    ['Version', inline(release.version)],
    ['Template', `${inline(release.templateName)} (${inline(release.templateId)}${templateVersion})`],
    ['Status', inline(release.status)],
    ['Current phase', phase ? `${inline(phase.name)} (${inline(phase.id)})` : inline(release.currentPhase)],
    ['Created', `by ${who(release.createdBy)} at ${inline(release.createdAt)}`],
    ['Last changed', inline(release.updatedAt)],
  ];
  if (release.plannedAt) facts.push(['Planned for', inline(release.plannedAt)]);
  if (release.description) facts.push(['Description', inline(release.description)]);
  if (windows.length > 0) facts.push(['Monitoring windows passed', `${passed.length} of ${windows.length}`]);
  facts.push(['Audit events', String(trail.length)]);
  return facts.map(([key, value]) => `- **${key}**: ${value}`).join('\n');
}

const DONE_WORDS: Readonly<Record<ItemStatus, string>> = {
  pending: 'Reopened',
  done: 'Done',
  skipped: 'Skipped',
  blocked: 'Blocked',
  failed: 'Failed',
};

/** Who last changed a leaf item and when, why, with what evidence; a group's trouble, since its box cannot show it. */
function itemNotes(agg: ReleaseAggregate, item: TemplateItem): string[] {
  if (item.children.length > 0) {
    const status = itemStatus(agg, item);
    return status === 'blocked' || status === 'failed' ? [`${DONE_WORDS[status]}: an item below is ${status}.`] : [];
  }
  const state = leafState(agg, item.id);
  if (state.version === 0) return [];
  const parts = [
    `${DONE_WORDS[state.status]}${state.updatedBy ? ` by ${who(state.updatedBy)}` : ''}${
      state.updatedAt ? ` at ${inline(state.updatedAt)}` : ''
    }.`,
  ];
  if (state.reason) parts.push(`Reason: ${quoted(state.reason)}.`);
  if (state.evidence?.url) parts.push(`Evidence: ${link(state.evidence.url)}`);
  if (state.evidence?.note) parts.push(`Note: ${quoted(state.evidence.note)}.`);
  return [parts.join(' ')];
}

/** A sentence of when things happened, from the first event of each type (nothing when none happened). */
function timeline(
  trail: readonly AuditEvent[],
  steps: readonly [AuditEventType, string][],
  data: Record<string, string>,
) {
  const said = steps.flatMap(([type, words]) => {
    const [first] = eventsOf(trail, [type], data);
    return first ? [`${words} at ${inline(first.at)}`] : [];
  });
  const sentence = said.join('; ');
  return sentence ? `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.` : '';
}

function phaseNotes(agg: ReleaseAggregate, phase: Phase, trail: readonly AuditEvent[]): string[] {
  const current = phase.id === agg.release.currentPhase && !isTerminal(agg.release) ? 'Current phase. ' : '';
  const when = timeline(
    trail,
    [
      ['phase.entered', 'Entered'],
      ['gate.opened', 'gate opened'],
      ['gate.overdue', 'gate overdue'],
      ['gate.passed', 'gate passed'],
    ],
    { phase: phase.id },
  );
  const text = `${current}${when}`.trim();
  return text ? [text] : [];
}

function stepNotes(agg: ReleaseAggregate, step: DeploymentStep, item: TemplateItem, trail: readonly AuditEvent[]) {
  const when = timeline(
    trail,
    [
      ['step.started', 'Started'],
      ['step.completed', 'completed'],
    ],
    { step: step.id },
  );
  return [`Step status: ${itemStatus(agg, item)}.${when ? ` ${when}` : ''}`];
}

/** When a window started and passed; one that started and never passed ran into the rollback or still runs. */
function windowNotes(agg: ReleaseAggregate, window: MonitoringWindow, trail: readonly AuditEvent[]): string[] {
  const [started] = eventsOf(trail, ['window.started'], { window: window.id });
  const [passed] = eventsOf(trail, ['window.passed'], { window: window.id });
  if (!started) return ['Window not started.'];
  if (passed)
    return [
      `Window started at ${inline(started.at)}; passed at ${inline(passed.at)} (${durationWords(window.duration)}).`,
    ];
  const wait = agg.release.wait;
  if (wait?.kind === 'window' && wait.window === window.id) {
    return [`Window started at ${inline(started.at)}; running until ${inline(wait.endsAt)}.`];
  }
  return [`Window started at ${inline(started.at)}; did not pass (the release is ${inline(agg.release.status)}).`];
}

const DECISION_WORDS: Readonly<Record<Signoff['decision'], string>> = {
  approve: 'Approved',
  reject: 'Rejected',
  withdrawn: 'Withdrawn',
};
/** The same words by any string, for decisions as the trail's untyped event data holds them. */
const DECISIONS: ReadonlyMap<string, string> = new Map(Object.entries(DECISION_WORDS));

/** A sign-off line: ticked when approved, with every decision on it from the trail (else the standing one). */
function signoffMark(
  agg: ReleaseAggregate,
  trail: readonly AuditEvent[],
  gate: Gate,
  requirement: SignoffRequirement,
): SignoffMark {
  const standing = agg.signoffs.get(signoffKey(gate.id, requirement.role));
  const history = eventsOf(trail, ['signoff.recorded', 'signoff.withdrawn'], { gate: gate.id, role: requirement.role });
  const records = history.map((event) =>
    decisionNote(String(event.data.decision), event.actor, event.at, requirement, event.data.comment),
  );
  if (records.length === 0 && standing) {
    records.push(decisionNote(standing.decision, standing.by, standing.at, requirement, standing.comment));
  }
  return {
    checked: standing?.decision === 'approve',
    state: standing ? DECISION_WORDS[standing.decision] : 'Pending',
    notes: records,
  };
}

function decisionNote(
  decision: string,
  by: ActorRef,
  at: string,
  requirement: SignoffRequirement,
  comment: unknown,
): string {
  const words = DECISIONS.get(decision) ?? inline(decision);
  const said = typeof comment === 'string' && comment.trim() !== '' ? `: ${quoted(comment)}` : '';
  return `${words} by ${who(by)} as ${inline(requirement.label)} at ${inline(at)}${said}.`;
}

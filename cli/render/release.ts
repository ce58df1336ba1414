// `shipgate releases show`: a release as text: its header, every phase with its progress, the current phase (or the
// rollback procedure) expanded to its items, exactly what the release waits for, and its rollback and escalation.
import { paint, progressBar } from '../output.ts';
import {
  conditionText,
  count,
  displayWidth,
  isoDurationMs,
  isoDurationText,
  mark,
  pad,
  quoted,
  span,
  time,
} from './format.ts';
import {
  childrenOf,
  type GateStatus,
  type ItemView,
  type PhaseView,
  type ReleaseView,
  ROLLBACK_STATUSES,
  type SectionView,
  TERMINAL_STATUSES,
  type WaitingFor,
} from './types.ts';

export interface RenderOptions {
  /** The reading's time, for "in 1h 20m" (tests pass a fixed one). */
  readonly now?: Date | undefined;
  /** Gate deadlines by gate id (ISO-8601 durations after the gate opened), from the release's template version. */
  readonly gateDeadlines?: Readonly<Record<string, string>> | undefined;
}

const STATUS_COLOUR: Readonly<Record<string, (text: string) => string>> = {
  COMPLETED: paint.green,
  CANCELLED: paint.dim,
  ROLLED_BACK: paint.yellow,
  ROLLBACK_FAILED: paint.red,
  ROLLBACK_REQUESTED: paint.red,
  ROLLING_BACK: paint.red,
};

/** A release status, coloured by what it means. */
export const statusText = (status: string): string => (STATUS_COLOUR[status] ?? paint.cyan)(status);

const phaseIndex = (view: ReleaseView): number => view.phases.findIndex((phase) => phase.id === view.currentPhase);

/** The whole release, as `shipgate releases show` prints it. */
export function renderRelease(view: ReleaseView, options: RenderOptions = {}): string {
  const now = options.now ?? new Date();
  const lines = [...header(view), '', paint.bold('Phases'), ...phaseLines(view)];
  const inRollback = ROLLBACK_STATUSES.has(view.status);
  const current = view.phases.find((phase) => phase.id === view.currentPhase);
  if (inRollback) lines.push('', ...rollbackLines(view));
  else if (current && !TERMINAL_STATUSES.has(view.status)) lines.push('', ...currentPhaseLines(view, current, now));
  if (!inRollback && view.rollbackProposal) lines.push('', ...proposalLines(view));
  if (view.escalation) lines.push('', ...escalationLines(view));
  if (view.workflowFailure) {
    lines.push(
      '',
      `${paint.red(paint.bold('Workflow stopped'))}  ${view.workflowFailure.summary}`,
      `  continue it: shipgate releases resume ${view.id}`,
    );
  }
  lines.push('', ...waitingLines(view, options, now));
  return lines.join('\n');
}

function header(view: ReleaseView): string[] {
  const phase = view.phases.find((p) => p.id === view.currentPhase);
  const rows: [string, string][] = [
    ['id', view.id],
    ['template', `${view.templateId} v${view.templateVersion ?? 1} (${view.templateName})`],
    ['phase', phase ? `${phase.name} (${phase.id})` : view.currentPhase],
    ['created', `by ${view.createdBy.name} at ${time(view.createdAt)}`],
  ];
  if (view.plannedAt) rows.push(['planned', time(view.plannedAt)]);
  if (view.alarmNames?.length) rows.push(['alarms', view.alarmNames.join(', ')]);
  if (TERMINAL_STATUSES.has(view.status)) rows.push(['ended', time(view.updatedAt)]);
  rows.push(['progress', `${progressBar(view.progress.requiredSatisfied, view.progress.required)} required`]);
  return [
    `${paint.bold(view.name)} ${view.version}  ${statusText(view.status)}`,
    ...(view.description ? [`  ${view.description}`] : []),
    ...rows.map(([label, value]) => `  ${pad(paint.dim(label), 10)}${value}`),
  ];
}

function gateSummary(phase: PhaseView): string {
  const signoffs = phase.gate?.signoffs.filter((signoff) => signoff.required) ?? [];
  if (!phase.gate) return paint.dim('no gate');
  if (signoffs.length === 0) return paint.dim('gate: items only');
  const approved = signoffs.filter((signoff) => signoff.decision === 'approve').length;
  const rejected = phase.gate.signoffs.some((signoff) => signoff.decision === 'reject');
  return `gate: ${approved}/${signoffs.length} sign-offs${rejected ? ` ${paint.red('rejected')}` : ''}`;
}

function phaseLines(view: ReleaseView): string[] {
  const here = phaseIndex(view);
  const done = view.status === 'COMPLETED';
  const width = Math.max(...view.phases.map((phase) => displayWidth(phase.name)));
  // A phase without required items has nothing to fill: a full bar would read as done.
  const bars = view.phases.map((phase) =>
    phase.progress.required === 0
      ? paint.dim('no required items')
      : progressBar(phase.progress.requiredSatisfied, phase.progress.required),
  );
  const barWidth = Math.max(...bars.map(displayWidth));
  return view.phases.map((phase, index) => {
    const where =
      phase.kind === 'follow-up'
        ? paint.dim('·')
        : done || index < here
          ? paint.green('✔')
          : index === here
            ? paint.cyan('▶')
            : paint.dim('○');
    const bar = pad(bars[index] ?? '', barWidth);
    const extra = [gateSummary(phase)];
    if (phase.steps?.length) extra.push(`${count(phase.steps.length, 'step')}`);
    if (phase.windows?.length) {
      extra.push(`windows ${phase.windows.map((w) => `${w.id} ${isoDurationText(w.duration)}`).join(', ')}`);
    }
    return `  ${where} ${pad(phase.name, width)}  ${bar}  ${extra.join(' · ')}`;
  });
}

/** One item and its children, indented, with its marker, id, kind, required or optional, and its evidence. */
export function itemLines(item: ItemView, indent: number): string[] {
  const children = childrenOf(item);
  const facts = [
    children.length > 0 ? 'group' : item.kind,
    item.required ? 'required' : 'optional',
    ...(item.metric ? [conditionText(item.metric)] : []),
  ];
  const lines = [
    `${' '.repeat(indent)}${mark(item.status)} ${item.title} ${paint.dim(`[${item.id}]`)}  ${paint.dim(facts.join(' · '))}`,
  ];
  const more = ' '.repeat(indent + 4);
  if (item.evidence?.url) lines.push(`${more}evidence ${paint.cyan(item.evidence.url)}`);
  if (item.evidence?.note) lines.push(`${more}note ${quoted(item.evidence.note)}`);
  if (item.reason) lines.push(`${more}reason ${quoted(item.reason)}`);
  if (item.updatedBy && item.status !== 'pending') {
    lines.push(`${more}${paint.dim(`${item.status} by ${item.updatedBy.name} at ${time(item.updatedAt)}`)}`);
  }
  for (const child of children) lines.push(...itemLines(child, indent + 2));
  return lines;
}

function sectionLines(section: SectionView, indent: number): string[] {
  return [
    `${' '.repeat(indent)}${paint.bold(section.title)}`,
    ...section.items.flatMap((item) => itemLines(item, indent + 2)),
  ];
}

const findItem = (items: readonly ItemView[], id: string): ItemView | undefined => {
  for (const item of items) {
    if (item.id === id) return item;
    const found = findItem(childrenOf(item), id);
    if (found) return found;
  }
  return undefined;
};

function currentPhaseLines(view: ReleaseView, phase: PhaseView, now: Date): string[] {
  const lines = [`${paint.bold(phase.name)} ${paint.dim('(current phase)')}`];
  const items = phase.sections.flatMap((section) => section.items);
  if (phase.steps?.length) {
    lines.push(`  ${paint.bold('Deployment steps')}`);
    phase.steps.forEach((step, index) => {
      const status = findItem(items, step.itemId)?.status ?? 'pending';
      const marker =
        status === 'done' || index < view.stepIndex
          ? mark('done')
          : index === view.stepIndex
            ? paint.cyan('▶')
            : mark(status);
      lines.push(`    ${marker} ${step.name} ${paint.dim(`[item ${step.itemId}]`)}`);
    });
  }
  if (phase.windows?.length) {
    lines.push(`  ${paint.bold('Monitoring windows')}`);
    phase.windows.forEach((window, index) => {
      const running = index === view.windowIndex && view.wait?.kind === 'window' ? view.wait : undefined;
      const marker = index < view.windowIndex ? mark('done') : running ? paint.cyan('▶') : paint.dim('○');
      const policy = window.rollbackPolicy === 'automatic' ? 'automatic rollback' : 'rollback on approval';
      const until = running
        ? `  until ${time(running.endsAt)} (${span(Date.parse(running.endsAt) - now.getTime())} left)`
        : '';
      lines.push(
        `    ${marker} ${window.name} ${paint.dim(`(${isoDurationText(window.duration)}, ${policy})`)}${until}`,
      );
    });
  }
  for (const section of phase.sections) lines.push(...sectionLines(section, 2));
  if (phase.gate?.signoffs.length) {
    lines.push(`  ${paint.bold(`Sign-offs (gate ${phase.gate.id})`)}`);
    for (const signoff of phase.gate.signoffs) {
      const who = signoff.by ? ` by ${signoff.by.name} at ${time(signoff.at)}` : '';
      const comment = signoff.comment ? `: ${quoted(signoff.comment)}` : '';
      const [marker, verdict] =
        signoff.decision === 'approve'
          ? [mark('done'), 'approved']
          : signoff.decision === 'reject'
            ? [mark('failed'), paint.red('rejected')]
            : [mark('pending'), 'pending'];
      const optional = signoff.required ? '' : paint.dim(' (optional)');
      lines.push(
        `    ${marker} ${signoff.label} ${paint.dim(`[${signoff.role}]`)}${optional}  ${verdict}${who}${comment}`,
      );
    }
  }
  return lines;
}

function rollbackLines(view: ReleaseView): string[] {
  const rollback = view.rollback;
  const lines = [paint.red(paint.bold('Rollback'))];
  if (rollback) {
    const trigger = rollback.trigger ? ` (trigger ${rollback.trigger})` : '';
    lines.push(`  requested by ${rollback.requestedBy.name} at ${time(rollback.requestedAt)}${trigger}`);
    lines.push(`  reason ${quoted(rollback.reason)}`);
    if (rollback.agreed?.length) lines.push(`  also fired: ${rollback.agreed.join(', ')}`);
  }
  const { procedure, validation } = view.rollbackPlan;
  if (procedure.length) lines.push(`  ${paint.bold('Procedure')}`, ...procedure.flatMap((s) => sectionLines(s, 4)));
  if (validation.length) lines.push(`  ${paint.bold('Validation')}`, ...validation.flatMap((s) => sectionLines(s, 4)));
  return lines;
}

function proposalLines(view: ReleaseView): string[] {
  const proposal = view.rollbackProposal;
  if (!proposal) return [];
  return [
    `${paint.yellow(paint.bold('Rollback proposed'))} at ${time(proposal.at)} by trigger ${proposal.trigger}`,
    `  reason ${quoted(proposal.reason)}`,
    `  roll back: shipgate rollback ${view.id} --reason "…"   keep it: shipgate rollback dismiss ${view.id} --reason "…"`,
  ];
}

function escalationLines(view: ReleaseView): string[] {
  const escalation = view.escalation;
  if (!escalation) return [];
  const why = `${escalation.reason === 'rollback' ? 'rollback' : 'gate overdue'}: ${escalation.cause}`;
  if (escalation.state === 'acknowledged') {
    const note = escalation.note ? `: ${quoted(escalation.note)}` : '';
    return [
      `${paint.bold('Escalation')}  acknowledged at level ${escalation.level} by ${escalation.acknowledgedBy?.name ?? 'someone'} at ${time(escalation.acknowledgedAt)}${note} (${why})`,
    ];
  }
  const state = escalation.state === 'paging' ? paint.red('paging') : paint.red('exhausted: nobody acknowledged');
  return [
    `${paint.bold('Escalation')}  ${state} level ${escalation.level} since ${time(escalation.startedAt)} (${why})`,
    `  acknowledge: shipgate ack ${view.id} --note "…"`,
  ];
}

/** What a gate still needs, one fact a line: missing items, missing sign-offs, rejections, blockers. */
export function gateNeeds(gate: Pick<GateStatus, 'missingItems' | 'missingSignoffs' | 'rejections' | 'blockers'>) {
  const lines: string[] = [];
  if (gate.missingItems.length) {
    lines.push(`  missing items (${gate.missingItems.length})`);
    for (const item of gate.missingItems) lines.push(`    ${mark(item.status)} ${item.id}  ${paint.dim(item.title)}`);
  }
  if (gate.missingSignoffs.length) lines.push(`  missing sign-offs  ${gate.missingSignoffs.join(', ')}`);
  for (const rejection of gate.rejections) {
    const comment = rejection.comment ? `: ${quoted(rejection.comment)}` : '';
    lines.push(
      `  ${paint.red('rejected')} as ${rejection.role} by ${rejection.by.name} at ${time(rejection.at)}${comment}`,
    );
  }
  for (const blocker of gate.blockers) lines.push(`  ${paint.yellow('blocked')}  ${blocker}`);
  return lines;
}

/** The `waitingFor` of a release: the one-line summary, then each thing that is missing. */
export function renderWaitingFor(waiting: WaitingFor, options: RenderOptions = {}): string[] {
  const now = options.now ?? new Date();
  const verdict = waiting.satisfied ? paint.green('satisfied: the workflow moves on') : waiting.summary;
  const lines = [`${paint.bold('Waiting for')}  ${verdict}`];
  if (waiting.since) lines.push(`  since ${time(waiting.since)}`);
  const deadline = waiting.kind === 'gate' && waiting.gate ? options.gateDeadlines?.[waiting.gate] : undefined;
  const deadlineMs = deadline ? isoDurationMs(deadline) : undefined;
  if (deadline && waiting.since && deadlineMs !== undefined) {
    const at = Date.parse(waiting.since) + deadlineMs;
    const left = at - now.getTime();
    const when = left > 0 ? `${span(left)} left` : paint.red('overdue');
    lines.push(
      `  deadline ${time(new Date(at).toISOString())} (${isoDurationText(deadline)} after the gate opened; ${when})`,
    );
  }
  if (waiting.kind === 'window' && waiting.endsAt) {
    lines.push(`  window ends ${time(waiting.endsAt)} (${span(Date.parse(waiting.endsAt) - now.getTime())} left)`);
  }
  lines.push(
    ...gateNeeds({
      missingItems: waiting.missingItems ?? [],
      missingSignoffs: waiting.missingSignoffs ?? [],
      rejections: waiting.rejections ?? [],
      blockers: waiting.blockers ?? [],
    }),
  );
  return lines;
}

/**
 * What the release waits for now. Right after a rollback is requested the API still names the wait the release was
 * in (a gate, a step, a window) until the workflow takes the rollback up: that is no longer what it waits for.
 */
export function currentWaitingFor(view: Pick<ReleaseView, 'status' | 'waitingFor'>): WaitingFor | undefined {
  const waiting = view.waitingFor ?? undefined;
  if (!waiting || TERMINAL_STATUSES.has(view.status)) return undefined;
  if (ROLLBACK_STATUSES.has(view.status) && waiting.kind !== 'rollback') return undefined;
  return waiting;
}

/** What the release waits for now as `releases show` ends with it, or that it has ended. */
export function waitingLines(
  view: ReleaseView,
  options: RenderOptions = {},
  now = options.now ?? new Date(),
): string[] {
  const waiting = currentWaitingFor(view);
  if (waiting) return renderWaitingFor(waiting, { ...options, now });
  if (TERMINAL_STATUSES.has(view.status)) return [`${paint.bold('Ended')}  ${statusText(view.status)}`];
  if (view.status === 'ROLLBACK_REQUESTED') return [`${paint.bold('Waiting for')}  the workflow to start the rollback`];
  return [`${paint.bold('Waiting for')}  the workflow's next decision`];
}

/** One line for a release in a list or after a change: id, name, version, status, phase. */
export function releaseLine(view: Pick<ReleaseView, 'id' | 'name' | 'version' | 'status' | 'currentPhase'>): string {
  return `${view.id}  ${view.name} ${view.version}  ${statusText(view.status)}  phase ${view.currentPhase}`;
}

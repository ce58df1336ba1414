// What a release's life says: created, entering a phase, its deployment steps, completed and announced.

import { findPhase, itemIndex } from '../release/items.ts';
import type { Phase, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import { dataString, itemLine, look, nameOf } from './context.ts';
import type { Context, Message } from './draft.ts';
import { bullets, humanDuration, oneLine } from './text.ts';

export function releaseCreated(ctx: Context): Message {
  const { agg, template, event } = ctx;
  const gated = template.phases.filter((phase) => phase.gate && phase.gate.signoffs.length > 0);
  const first = gated[0]?.gate;
  return {
    summary: 'release created',
    happened:
      `${event.actor.name} created release ${nameOf(ctx)} (version ${oneLine(agg.release.version)}) from the ` +
      `template ${oneLine(agg.release.templateName)}.`,
    needed: [
      first
        ? `Nothing yet. You will be asked for your sign-off when your gate opens; the first is '${first.id}', ` +
          `signed by ${first.signoffs.map((signoff) => signoff.role).join(', ')}.`
        : 'Nothing yet.',
    ],
    details: [
      'Its phases, and who signs each gate:',
      ...bullets(
        template.phases.map((phase) => {
          const roles = phase.gate?.signoffs.map((signoff) => signoff.role) ?? [];
          return `${phase.name} (${phase.id})${roles.length > 0 ? `: signed by ${roles.join(', ')}` : ''}`;
        }),
      ),
    ],
    action: { ...look(ctx), label: 'Checklist:' },
  };
}

export function phaseEntered(ctx: Context): Message {
  const phase = findPhase(ctx.template, dataString(ctx.event, 'phase') ?? '');
  const phaseId = phase?.id ?? dataString(ctx.event, 'phase') ?? '';
  const needed: string[] = [];
  const details: string[] = [];
  if (phase?.kind === 'deployment' && phase.steps?.length) {
    needed.push(
      'Work the production deployment steps in order; each waits for its checklist:',
      ...bullets(phase.steps.map((entry, index) => `${index + 1}. ${entry.name} (${entry.id})`)),
    );
  } else if (phase?.kind === 'monitoring' && phase.windows?.length) {
    details.push(
      'Its monitoring windows, in order:',
      ...bullets(phase.windows.map((window) => `${window.name}: ${humanDuration(window.duration)}`)),
    );
  }
  if (phase?.gate && phase.gate.signoffs.length > 0) {
    details.push(
      `It ends at gate '${phase.gate.id}', signed by ${phase.gate.signoffs.map((entry) => entry.role).join(', ')}.`,
    );
  }
  return {
    summary: `entered phase ${phaseId}`,
    happened: `The release entered phase '${phase?.name ?? phaseId}'.`,
    needed,
    details,
    action: look(ctx),
  };
}

/** `step.started` (with the step's checklist) or `step.completed` (with what comes next). */
export function deploymentStep(ctx: Context, started: boolean): Message {
  const phase = findPhase(ctx.template, dataString(ctx.event, 'phase') ?? '');
  const stepId = dataString(ctx.event, 'step') ?? '';
  const steps = phase?.steps ?? [];
  const index = steps.findIndex((candidate) => candidate.id === stepId);
  const current = steps[index];
  const label = `'${current?.name ?? stepId}'${index >= 0 ? ` (step ${index + 1} of ${steps.length})` : ''}`;
  if (!started) {
    const next = steps[index + 1];
    return {
      summary: `deployment step ${stepId} done`,
      happened: `Production deployment step ${label} is done.`,
      needed: [],
      details: [next ? `Next: ${next.name} (${next.id}).` : 'That was the last deployment step.'],
      action: look(ctx),
    };
  }
  const item = current && itemIndex(ctx.template).get(current.itemId)?.item;
  const leaves = item ? [...walkItems([item])].filter((entry) => entry.children.length === 0) : [];
  return {
    summary: `deployment step ${stepId} started`,
    happened: `Production deployment step ${label} has started.`,
    needed: [
      'Do its checklist and record each item with its evidence:',
      ...bullets(
        leaves.map((leaf) => itemLine(ctx, leaf)),
        20,
      ),
      `    PATCH ${ctx.base}${ctx.releasePath}/items/<itemId>`,
      '    content-type: application/json',
      `    ${JSON.stringify({ status: 'done', evidence: { url: 'https://…', note: 'what you did' } })}`,
    ],
    details: [],
    action: { ...look(ctx), label: 'Checklist:' },
  };
}

export function releaseCompleted(ctx: Context): Message {
  const followUp = ctx.template.phases.find((phase) => phase.kind === 'follow-up');
  const work = followUp ? [...phaseLeaves(followUp)].map((item) => itemLine(ctx, item)) : [];
  return {
    summary: 'release completed',
    happened: 'The release passed its last gate and is COMPLETED.',
    needed:
      followUp && work.length > 0 ? [`Follow-up work is tracked in phase '${followUp.name}':`, ...bullets(work)] : [],
    details: [],
    action: look(ctx),
  };
}

function* phaseLeaves(phase: Phase): Generator<TemplateItem> {
  for (const section of phase.sections) {
    for (const item of walkItems(section.items)) if (item.children.length === 0) yield item;
  }
}

/** `release.announced`: the word that goes beyond the team, once the release is completed. */
export function releaseAnnounced(ctx: Context): Message {
  const metrics = ctx.template.successMetrics.map((metric) => oneLine(metric.title));
  return {
    summary: 'released',
    happened:
      `${nameOf(ctx)} (version ${oneLine(ctx.agg.release.version)}) is released: it passed every gate, its ` +
      'production deployment and its monitoring.',
    needed: [],
    details: metrics.length > 0 ? ['How its success is measured:', ...bullets(metrics)] : [],
    action: { ...look(ctx), label: 'Details:' },
  };
}

// A template as a blank Markdown checklist that importChecklist reads back as the same phases, sections, items and
// gates (docs/templates.md); the release export fills in the same document through annotations. Pure: no I/O.
import { headingRole } from '../import/heuristics.ts';
import { type ChecklistAnnotations, itemLines, type ListContext, listBlock } from './export-list.ts';
import {
  contactBlocks,
  metadataFacts,
  metadataSections,
  rollbackBlocks,
  signoffBlocks,
  successMetricBlocks,
} from './export-parts.ts';
import { inline, paragraph } from './markdown-text.ts';
import type { MonitoringWindow, Phase, PhaseKind, Template, TemplateItem, TemplateSection } from './template.ts';

export type { ChecklistAnnotations, SignoffMark } from './export-list.ts';

const STAGING = /\bstaging\b/i;

/** The template as a blank checklist. */
export function templateMarkdown(template: Template): string {
  return checklistMarkdown(template, {});
}

/** The template's checklist with what `annotations` fills in; blocks are separated by blank lines. */
export function checklistMarkdown(template: Template, annotations: ChecklistAnnotations): string {
  const description = template.description
    .split(/\n{2,}/)
    .filter((part) => part.trim() !== '')
    .map(descriptionBlock);
  const blocks = [
    `# ${inline(annotations.title ?? template.name)}`,
    ...(annotations.header ?? []),
    ...description,
    ...metadataFacts(template.metadata),
    ...phaseBlocks(template, annotations),
    ...rollbackBlocks(template, { annotations, numbered: new Set() }),
    ...successMetricBlocks(template),
    ...signoffBlocks(template, annotations),
    ...contactBlocks(template),
    ...metadataSections(template.metadata),
  ];
  return `${blocks.filter((block) => block !== '').join('\n\n')}\n`;
}

/** A description paragraph is plain text; a part the importer kept as Markdown (a plain list) is written as it was. */
function descriptionBlock(part: string): string {
  return part.includes('\n') ? part : paragraph(part);
}

/** The phase kind the importer gives a top-level heading with checkbox lines, or undefined when it is not a phase. */
function readsAs(name: string, afterDeployment: boolean): PhaseKind | undefined {
  const role = headingRole(name);
  if (role === undefined) return afterDeployment ? 'monitoring' : 'pre-release';
  return role === 'signoff' || role === 'rollback' || role === 'success-metrics' ? undefined : role;
}

/**
 * A staging phase the importer composed from staging parts of a deployment phase is written back inside that
 * deployment phase when its name would not read as staging on its own: a sub-heading mentioning staging there is
 * a staging section, and the first one names the phase.
 */
function nestsInDeployment(phase: Phase, template: Template): boolean {
  const [first] = phase.sections;
  return (
    phase.kind === 'staging' &&
    readsAs(phase.name, false) !== 'staging' &&
    first?.title === phase.name &&
    phase.sections.every((section) => STAGING.test(section.title)) &&
    template.phases.some((other) => other.kind === 'deployment')
  );
}

function phaseBlocks(template: Template, annotations: ChecklistAnnotations): string[] {
  const nested = template.phases.filter((phase) => nestsInDeployment(phase, template));
  const blocks: string[] = [];
  let deploymentSeen = false;
  for (const phase of template.phases) {
    // A phase without sections (a confirmation phase composed from sign-offs) is written by its sign-off heading.
    if (phase.sections.length === 0 || nested.includes(phase)) continue;
    blocks.push(`## ${inline(phase.name)}`, ...(annotations.phaseNotes?.(phase) ?? []));
    const [first, ...rest] = phase.sections;
    const direct = first !== undefined && isDirect(phase, first);
    if (direct) blocks.push(...sectionBlocks(phase, first, annotations, true));
    if (phase.kind === 'deployment' && !deploymentSeen) {
      for (const staging of nested) {
        blocks.push(...(annotations.phaseNotes?.(staging) ?? []));
        for (const section of staging.sections) blocks.push(...sectionBlocks(staging, section, annotations, false));
      }
    }
    for (const section of direct ? rest : phase.sections) {
      blocks.push(...sectionBlocks(phase, section, annotations, false));
    }
    if (phase.kind === 'deployment') deploymentSeen = true;
  }
  return blocks;
}

/** Items written right under the phase heading form a section titled by it, which is never a monitoring window. */
function isDirect(phase: Phase, section: TemplateSection): boolean {
  return phase.source !== undefined && section.source.line === phase.source.line && section.title === phase.name;
}

/**
 * The importer makes each section of a deployment phase without numbered steps one step, wrapping its items in a
 * group titled by the heading (whose source is the heading). Written back, the wrapper is the heading again.
 */
function stepWrapper(phase: Phase, section: TemplateSection): TemplateItem | undefined {
  const [only] = section.items;
  const wraps =
    phase.kind === 'deployment' &&
    section.items.length === 1 &&
    only !== undefined &&
    only.children.length > 0 &&
    only.title === section.title &&
    only.source.line === section.source.line;
  return wraps ? only : undefined;
}

/** Items that are numbered deployment steps (not section wrappers), written as ordered lines. */
function numberedSteps(phase: Phase): Set<string> {
  const wrappers = new Set(phase.sections.flatMap((section) => stepWrapper(phase, section)?.id ?? []));
  return new Set((phase.steps ?? []).map((step) => step.itemId).filter((id) => !wrappers.has(id)));
}

function sectionBlocks(
  phase: Phase,
  section: TemplateSection,
  annotations: ChecklistAnnotations,
  direct: boolean,
): string[] {
  const blocks = direct ? [] : [`### ${inline(section.title)}`];
  const window = phase.windows?.find((candidate) => candidate.sectionId === section.id);
  if (window) blocks.push(windowNote(window), ...(annotations.windowNotes?.(window) ?? []));
  const wrapper = stepWrapper(phase, section);
  if (wrapper) {
    const steps = phase.steps ?? [];
    const index = steps.findIndex((candidate) => candidate.itemId === wrapper.id);
    const step = steps[index];
    if (step)
      blocks.push(
        `Deployment step ${index + 1} of ${steps.length}.`,
        ...(annotations.stepNotes?.(step, wrapper) ?? []),
      );
  }
  const context: ListContext = { annotations, numbered: numberedSteps(phase) };
  blocks.push(listBlock(itemLines(wrapper ? wrapper.children : section.items, '', context)));
  return blocks;
}

/** ISO-8601 durations of windows in words: `PT2H` -> "2 hours", `P7D` -> "7 days". */
export function durationWords(duration: string): string {
  const parts = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!parts) return duration;
  const units = ['day', 'hour', 'minute', 'second'];
  const words = parts
    .slice(1)
    .flatMap((amount, i) => (amount ? [`${amount} ${units[i]}${amount === '1' ? '' : 's'}`] : []));
  return words.length > 0 ? words.join(' ') : duration;
}

function windowNote(window: MonitoringWindow): string {
  const policy =
    window.rollbackPolicy === 'automatic'
      ? 'a rollback trigger firing in it rolls the release back at once'
      : 'a rollback trigger firing in it asks the release manager to roll back';
  return `Monitoring window: ${durationWords(window.duration)} (${window.duration}); ${policy}.`;
}

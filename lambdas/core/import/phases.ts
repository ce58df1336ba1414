// Checklist phases: sections and items, deployment steps and staging, monitoring windows, one follow-up phase.

import type {
  DeploymentStep,
  MonitoringWindow,
  PhaseKind,
  TemplateItem,
  TemplateSection,
} from '../template/template.ts';
import {
  entriesOf,
  entryRef,
  entryTitle,
  headingRef,
  OPTIONAL,
  type Region,
  regionHasCheckbox,
  regionsOf,
  type TopNode,
} from './document.ts';
import { parseWindowDuration } from './heuristics.ts';
import { readInfo } from './info.ts';
import { buildItem, makeItem } from './items.ts';
import { type Heading, type ListEntry, walkEntries } from './outline.ts';
import type { DraftPhase, ImportState } from './state.ts';
import { slugify, uniqueSlugs } from './text.ts';

const STAGING = /\bstaging\b/i;

/** One phase being read, with what its regions contribute besides sections. */
interface PhaseReading {
  readonly kind: PhaseKind;
  readonly phase: DraftPhase;
  /** Items that are deployment steps, in document order. */
  readonly stepItems: TemplateItem[];
  /** Staging checks found inside a deployment phase: they form a staging phase of their own. */
  readonly stagingSections: TemplateSection[];
  /** Without numbered checkbox steps, each section of a deployment phase is one step (see docs/templates.md). */
  readonly stepPerSection: boolean;
}

/** A checkbox group of a deployment phase titled "staging" is staging work that was written inside the deployment. */
function liftsToStaging(kind: PhaseKind, entry: ListEntry): boolean {
  return (
    kind === 'deployment' && entry.checkbox !== null && entry.children.length > 0 && STAGING.test(entryTitle(entry))
  );
}

function isStagingRegion(kind: PhaseKind, region: Region): boolean {
  return kind === 'deployment' && region.heading !== undefined && STAGING.test(region.heading.title);
}

/** True when a deployment phase numbers its steps: an ordered checkbox line outside its staging parts. */
function hasNumberedSteps(kind: PhaseKind, regions: readonly Region[]): boolean {
  return regions.some(
    (region) =>
      !isStagingRegion(kind, region) &&
      entriesOf(region).some(
        (entry) =>
          !liftsToStaging(kind, entry) && [...walkEntries([entry])].some((e) => e.ordered && e.checkbox !== null),
      ),
  );
}

/** Reads a top-level checklist heading as a phase of `kind` (plus a staging phase when a deployment holds one). */
export function readPhase(state: ImportState, node: TopNode, kind: PhaseKind): void {
  const regions = regionsOf(node);
  const reading: PhaseReading = {
    kind,
    phase: { name: node.heading.title, kind, sections: [], signoffs: [], source: headingRef(node.heading) },
    stepItems: [],
    stagingSections: [],
    stepPerSection: kind === 'deployment' && !hasNumberedSteps(kind, regions),
  };
  for (const region of regions) readPhaseRegion(state, reading, region, node.heading);

  const { phase, stagingSections } = reading;
  if (stagingSections.length > 0) {
    const [firstStaging] = stagingSections;
    state.phases.push({
      name: firstStaging?.title ?? 'Staging',
      kind: 'staging',
      sections: stagingSections,
      signoffs: [],
    });
  }
  if (kind === 'deployment') phase.steps = deploymentSteps(reading.stepItems);
  if (kind === 'monitoring') phase.windows = monitoringWindows(phase.sections, node.heading);
  addPhase(state.phases, phase);
}

/** One region of a phase becomes a section (a staging one, or, when sections are steps, one wrapped in a step). */
function readPhaseRegion(state: ImportState, reading: PhaseReading, region: Region, phaseHeading: Heading): void {
  if (!regionHasCheckbox(region)) {
    // Text right under a phase heading introduces it; a sub-heading without checkboxes is information.
    if (region.heading) readInfo(state, region, region.heading.title);
    return;
  }
  const heading = region.heading ?? phaseHeading;
  if (isStagingRegion(reading.kind, region)) {
    const items = entriesOf(region).flatMap((entry) => makeItem(state, entry) ?? []);
    reading.stagingSections.push(sectionOf(state, heading, items));
    return;
  }
  // The wrapper's id is taken before its items' ids: ids are handed out parent first.
  const wrapperId = reading.stepPerSection ? state.itemId(slugify(heading.title)) : undefined;
  const items = readRegionItems(state, reading, region);
  if (items.length === 0) return;
  let sectionItems = items;
  if (wrapperId !== undefined) {
    const wrapper = buildItem(wrapperId, heading.title, !OPTIONAL.test(heading.content), items, headingRef(heading));
    reading.stepItems.push(wrapper);
    sectionItems = [wrapper];
  }
  reading.phase.sections.push(sectionOf(state, heading, sectionItems));
}

function sectionOf(state: ImportState, heading: Heading, items: TemplateItem[]): TemplateSection {
  return { id: state.sectionId(slugify(heading.title)), title: heading.title, items, source: headingRef(heading) };
}

/** The items of a phase region; a staging group among them goes to the staging sections as a section of its own. */
function readRegionItems(state: ImportState, reading: PhaseReading, region: Region): TemplateItem[] {
  const items: TemplateItem[] = [];
  for (const entry of entriesOf(region)) {
    if (liftsToStaging(reading.kind, entry)) {
      const item = makeItem(state, entry);
      if (item) {
        reading.stagingSections.push({
          id: state.sectionId(slugify(item.title)),
          title: item.title,
          items: [item],
          source: entryRef(entry),
        });
      }
      continue;
    }
    const item = makeItem(state, entry, reading.stepItems);
    if (item) items.push(item);
  }
  return items;
}

function deploymentSteps(stepItems: readonly TemplateItem[]): DeploymentStep[] {
  const stepId = uniqueSlugs();
  return stepItems.map((item) => ({ id: stepId(slugify(item.title)), name: item.title, itemId: item.id }));
}

/** A section of a monitoring phase whose sub-heading names a duration ("First 2 Hours") is a monitoring window. */
function monitoringWindows(sections: readonly TemplateSection[], phaseHeading: Heading): MonitoringWindow[] {
  const windowId = uniqueSlugs();
  const windows: MonitoringWindow[] = sections.flatMap((section) => {
    const duration = section.source.line === phaseHeading.line ? undefined : parseWindowDuration(section.title);
    if (duration === undefined) return [];
    const base = section.title.replace(/\([^)]*\)/g, ' ').replace(/\b(?:monitoring|window|period|phase)\b/gi, ' ');
    return [
      {
        id: windowId(slugify(base, 'window')),
        name: section.title,
        duration,
        sectionId: section.id,
        rollbackPolicy: 'approval' as const,
      },
    ];
  });
  // The first window follows the deployment at once: a breach there rolls back without waiting for a person.
  const [firstWindow] = windows;
  if (firstWindow) firstWindow.rollbackPolicy = 'automatic';
  return windows;
}

function addPhase(phases: DraftPhase[], phase: DraftPhase): void {
  const followUp = phase.kind === 'follow-up' ? phases.find((p) => p.kind === 'follow-up') : undefined;
  if (followUp) {
    // Follow-up work never blocks anything, so every follow-up heading joins one phase.
    followUp.name = `${followUp.name} / ${phase.name}`;
    followUp.sections.push(...phase.sections);
    delete followUp.source;
  } else if (phase.sections.length > 0) {
    phases.push(phase);
  }
}

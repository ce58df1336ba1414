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
  regionHasSteps,
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
    kind === 'deployment' && entry.step && entry.children.some((child) => child.step) && STAGING.test(entryTitle(entry))
  );
}

function isStagingRegion(kind: PhaseKind, region: Region): boolean {
  return kind === 'deployment' && region.heading !== undefined && STAGING.test(region.heading.title);
}

/** True when a deployment phase numbers its steps: an ordered step outside its staging parts. */
function hasNumberedSteps(kind: PhaseKind, regions: readonly Region[]): boolean {
  return regions.some(
    (region) =>
      !isStagingRegion(kind, region) &&
      entriesOf(region).some(
        (entry) => !liftsToStaging(kind, entry) && [...walkEntries([entry])].some((e) => e.ordered && e.step),
      ),
  );
}

/** Reads a top-level checklist heading as a phase of `kind` (plus a staging phase when a deployment holds one). */
export function readPhase(state: ImportState, node: TopNode, kind: PhaseKind): void {
  const regions = regionsOf(node);
  const reading: PhaseReading = {
    kind,
    phase: {
      name: node.heading.title,
      kind,
      sections: [],
      signoffs: [],
      ...(node.synthetic ? {} : { source: headingRef(node.heading) }),
    },
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
  addPhase(state, phase);
}

/** One region of a phase becomes a section (a staging one, or, when sections are steps, one wrapped in a step). */
function readPhaseRegion(state: ImportState, reading: PhaseReading, region: Region, phaseHeading: Heading): void {
  if (!regionHasSteps(region)) {
    // Text right under a phase heading introduces it; a sub-heading without checkboxes is information.
    if (region.heading) readInfo(state, region, region.heading.title);
    return;
  }
  const heading = region.heading ?? phaseHeading;
  if (isStagingRegion(reading.kind, region)) {
    const items = entriesOf(region).flatMap((entry) => makeItem(state, entry) ?? []);
    reading.stagingSections.push(sectionOf(state, heading, items, region.description));
    return;
  }
  // The wrapper's id is taken before its items' ids: ids are handed out parent first.
  // Only a sub-heading can stand for a step: steps right under the phase heading are never wrapped in one.
  const wrapperId =
    reading.stepPerSection && region.heading !== undefined ? state.itemId(slugify(heading.title)) : undefined;
  const items = readRegionItems(state, reading, region);
  if (items.length === 0) return;
  let sectionItems = items;
  if (wrapperId !== undefined) {
    const wrapper = buildItem(wrapperId, heading.title, !OPTIONAL.test(heading.content), items, headingRef(heading));
    reading.stepItems.push(wrapper);
    sectionItems = [wrapper];
  }
  reading.phase.sections.push(sectionOf(state, heading, sectionItems, region.description));
}

function sectionOf(
  state: ImportState,
  heading: Heading,
  items: TemplateItem[],
  description: readonly string[] = [],
): TemplateSection {
  const section: TemplateSection = {
    id: state.sectionId(slugify(heading.title)),
    title: heading.title,
    items,
    source: headingRef(heading),
  };
  if (description.length > 0) section.description = description.join('\n\n');
  return section;
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

/**
 * Follow-up work never blocks anything, so every follow-up heading joins one phase; consecutive parts of the same
 * kind ("Priority issues" then "Before release", both preparation) are one phase too, each part a section of it.
 */
function addPhase(state: ImportState, phase: DraftPhase): void {
  const { phases } = state;
  const last = phases[phases.length - 1];
  const into =
    phase.kind === 'follow-up'
      ? phases.find((p) => p.kind === 'follow-up')
      : last && last === state.lastPart && last.kind === phase.kind
        ? last
        : undefined;
  if (phase.sections.length === 0) return;
  if (into) {
    into.name = `${into.name} / ${phase.name}`;
    into.sections.push(...phase.sections);
    if (phase.steps) into.steps = [...(into.steps ?? []), ...phase.steps];
    if (phase.windows) {
      // Only the first window of the merged phase follows the deployment at once.
      const later = (into.windows?.length ?? 0) > 0;
      const windows = phase.windows.map((w) => (later ? { ...w, rollbackPolicy: 'approval' as const } : w));
      into.windows = [...(into.windows ?? []), ...windows];
    }
    delete into.source;
  } else {
    phases.push(phase);
    state.lastPart = phase;
  }
}

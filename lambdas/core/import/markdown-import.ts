// Turns a Markdown release checklist into a Template. Generic: the meaning of each part is read from headings,
// list structure and keywords (see docs/templates.md), never from the file's name.

import {
  type DeploymentStep,
  type EscalationLevel,
  type MonitoringWindow,
  type Phase,
  type PhaseKind,
  type RollbackTrigger,
  type SignoffRequirement,
  type SourceMapping,
  type SourceRef,
  type SuccessMetric,
  Template,
  type TemplateItem,
  type TemplateSection,
  walkItems,
} from '../template/template.ts';
import {
  type HeadingRole,
  headingRole,
  isAutomated,
  parseWindowDuration,
  roleSlug,
  signoffTarget,
} from './heuristics.ts';
import { parseMetricCondition } from './metrics.ts';
import {
  type Block,
  displayText,
  type Heading,
  hasCheckbox,
  type ListEntry,
  parseOutline,
  walkEntries,
} from './outline.ts';
import { slugify, uniqueSlugs } from './text.ts';

/** Minutes an escalation level has to acknowledge before the next is paged, when the checklist names no interval. */
export const DEFAULT_ESCALATION_INTERVAL_MINUTES = 15;

/** Phases run in this order whatever order the checklist lists them in. */
const phaseOrder: readonly PhaseKind[] = [
  'pre-release',
  'staging',
  'deployment',
  'monitoring',
  'confirmation',
  'follow-up',
];

export interface ImportOptions {
  /** Template id (a slug), e.g. `toolboxai-v1`. */
  id: string;
  /** File the Markdown came from, recorded on the template. */
  sourceFile: string;
}

/** A heading's span of the document: the blocks up to the next heading (or horizontal rule). */
interface Region {
  readonly heading: Heading | undefined;
  readonly blocks: Block[];
}

/** A top-level heading with the blocks right under it (`direct`) and its sub-headings. */
interface TopNode {
  readonly heading: Heading;
  readonly direct: Region;
  readonly subs: Region[];
}

interface DraftPhase {
  name: string;
  kind: PhaseKind;
  sections: TemplateSection[];
  signoffs: SignoffRequirement[];
  steps?: DeploymentStep[];
  windows?: MonitoringWindow[];
  source?: SourceRef;
}

const STAGING = /\bstaging\b/i;
const OPTIONAL = /\(optional\)/i;

const ref = (line: number, text: string): SourceRef => ({ line, text });
const headingRef = (heading: Heading): SourceRef => ref(heading.line, heading.text);
const entryRef = (entry: ListEntry): SourceRef => ref(entry.line, entry.text);

function entriesOf(region: Region): ListEntry[] {
  return region.blocks.flatMap((block) => (block.kind === 'list' ? [...block.entries] : []));
}

function regionHasCheckbox(region: Region): boolean {
  return entriesOf(region).some(hasCheckbox);
}

/** Display title of a list entry: "(optional)" is a flag, not part of the title. */
function entryTitle(entry: ListEntry): string {
  const title = displayText(entry.content.replace(/\s*\(optional\)/gi, ' '));
  return title === '' ? `Line ${entry.line}` : title;
}

/** A sign-off line names its role in bold before a colon ("**QA Team Lead**: ____ Date: ____") or leaves a blank. */
function isRoleLine(content: string): boolean {
  return /^\s*\*\*[^*]+\*\*\s*:|^\s*\*\*[^*]+:\*\*|_{3,}/.test(content);
}

/** The role label of a "**Label**: …" line, else its text up to a colon or a blank to fill in. */
function labelOf(content: string): string {
  const bold = /^\s*\*\*([^*]+?)\*\*/.exec(content);
  const raw = bold?.[1] ?? content.split(/:|_{2,}/)[0] ?? content;
  return displayText(raw.replace(/\s*\(optional\)/gi, ' ')).replace(/\s*:$/, '');
}

/** The Markdown of a region's blocks, as written (trailing spaces trimmed), for free-form metadata. */
function rawBody(lines: readonly string[], blocks: readonly Block[]): string {
  const first = blocks[0];
  const last = blocks.at(-1);
  if (!first || !last) return '';
  return lines
    .slice(first.start - 1, last.end)
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
}

/** Splits the outline into top-level headings with their sub-headings; returns the document's title and loose blocks. */
function structure(source: string): {
  lines: readonly string[];
  title: Heading | undefined;
  nodes: TopNode[];
  loose: Block[];
  allEntries: ListEntry[];
} {
  const outline = parseOutline(source);
  const headings = outline.nodes.flatMap((node) => (node.kind === 'heading' ? [node.heading] : []));
  const [first] = headings;
  // A leading level-1 heading followed by deeper ones is the checklist's title, not a phase.
  const title = first && first.level === 1 && headings.some((h) => h.level > 1) ? first : undefined;
  const rest = headings.filter((h) => h !== title);
  if (rest.length === 0) {
    throw new Error('the checklist has no section headings (e.g. "## Pre-Release"), so no phase can be formed');
  }
  const phaseLevel = Math.min(...rest.map((h) => h.level));

  const nodes: TopNode[] = [];
  const loose: Block[] = [];
  const allEntries: ListEntry[] = [];
  let current: TopNode | undefined;
  let region: Region | undefined;
  let afterBreak = false;
  for (const node of outline.nodes) {
    if (node.kind === 'heading') {
      if (node.heading === title) continue;
      afterBreak = false;
      if (node.heading.level <= phaseLevel || !current) {
        current = { heading: node.heading, direct: { heading: undefined, blocks: [] }, subs: [] };
        nodes.push(current);
        region = current.direct;
      } else {
        region = { heading: node.heading, blocks: [] };
        current.subs.push(region);
      }
    } else if (node.kind === 'break') {
      // A horizontal rule closes the section above it: what follows, up to the next heading, is document-level
      // (the footer facts of a checklist sit there).
      afterBreak = true;
    } else {
      if (node.block.kind === 'list') allEntries.push(...walkEntries(node.block.entries));
      if (afterBreak || !region) loose.push(node.block);
      else region.blocks.push(node.block);
    }
  }
  return { lines: outline.lines, title, nodes, loose, allEntries };
}

/**
 * Imports a Markdown release checklist as a template. Pure: the caller reads the file.
 * @throws Error when the document has no heading to form a phase from, no checklist phase, or a checkbox line the
 *   template has no place for (every checkbox line becomes exactly one item or one recorded mapping).
 */
export function importChecklist(markdown: string, options: ImportOptions): Template {
  try {
    return importStructured(markdown, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot import checklist ${options.sourceFile} as template ${options.id}: ${reason}`, {
      cause: error,
    });
  }
}

function importStructured(markdown: string, options: ImportOptions): Template {
  const { lines, title, nodes, loose, allEntries } = structure(markdown);

  const itemId = uniqueSlugs();
  const sectionId = uniqueSlugs();
  const triggerId = uniqueSlugs();
  const metricId = uniqueSlugs();
  const mappings: SourceMapping[] = [];
  const metadata: Record<string, string> = {};
  const description: string[] = [];
  const phases: DraftPhase[] = [];
  const triggers: RollbackTrigger[] = [];
  const procedure: TemplateSection[] = [];
  const validation: TemplateSection[] = [];
  const successMetrics: SuccessMetric[] = [];
  const levels: EscalationLevel[] = [];
  const escalationLabels: { role: string; label: string }[] = [];
  const onCall: { role: string; label: string }[] = [];
  let intervalMinutes = DEFAULT_ESCALATION_INTERVAL_MINUTES;
  const pendingSignoffs: {
    target: PhaseKind | undefined;
    requirement: SignoffRequirement;
    region: { name: string; source: SourceRef };
    groupMappings: SourceMapping[];
  }[] = [];

  const setMetadata = (key: string, value: string): void => {
    let name = key;
    for (let n = 2; name in metadata; n++) name = `${key} (${n})`;
    metadata[name] = value;
  };

  /**
   * Item ids go into URLs and scripts, so they are short: the subject before a colon ("Python test suite: 95%+
   * pass rate" -> python-test-suite) when there is one, else the title, within 48 characters.
   */
  const itemSlug = (title: string): string => {
    const subject = /^([^:]{3,}?):\s/.exec(title)?.[1];
    return slugify(subject ?? title, 'item', 48);
  };

  const map = (entry: ListEntry, as: SourceMapping['as'], target: string): SourceMapping | undefined => {
    if (entry.checkbox === null) return undefined;
    const mapping: SourceMapping = { line: entry.line, text: entry.text, as, ref: target };
    mappings.push(mapping);
    return mapping;
  };

  /**
   * One item per checkbox line, children nested. Ids are handed out parent first, in document order.
   * `steps` collects the outermost numbered checkbox entries (deployment steps).
   */
  const makeItem = (entry: ListEntry, steps?: TemplateItem[], underNumbered = false): TemplateItem | undefined => {
    if (!hasCheckbox(entry)) return undefined;
    const title = entryTitle(entry);
    const id = itemId(itemSlug(title));
    const numbered = entry.ordered && entry.checkbox !== null && !underNumbered;
    const children = entry.children.flatMap((child) => makeItem(child, steps, underNumbered || numbered) ?? []);
    const item = buildItem(id, title, !OPTIONAL.test(entry.content), children, entryRef(entry));
    if (numbered) steps?.push(item);
    return item;
  };

  // --- Phases --------------------------------------------------------------------------------------------------

  const readInfo = (region: Region, regionTitle: string): void => {
    const entries = entriesOf(region);
    if (/\bescalat/i.test(regionTitle) && entries.length > 0) {
      entries.forEach((entry, index) => {
        const text = displayText(entry.content);
        const level = Number(/\blevel\s*(\d+)/i.exec(text)?.[1] ?? index + 1);
        const who = text.includes(':') ? text.slice(text.indexOf(':') + 1) : text.replace(/\blevel\s*\d+/i, '');
        const labels = who
          .split(/\s*(?:\+|,|&|\/|\band\b)\s*/i)
          .map((label) => label.trim())
          .filter((label) => label !== '');
        const roles = [...new Set(labels.map(roleSlug))];
        for (const label of labels) escalationLabels.push({ role: roleSlug(label), label });
        if (roles.length > 0) levels.push({ level, label: text, roles, source: entryRef(entry) });
      });
      const interval = /\b(\d+)\s*(?:minutes?|mins?)\b/i.exec(rawBody(lines, region.blocks));
      if (interval) intervalMinutes = Number(interval[1]);
    } else if (/\bon[- ]?call\b|\bcontacts?\b/i.test(regionTitle) && entries.length > 0) {
      for (const entry of entries) {
        const label = labelOf(entry.content);
        const role = roleSlug(label);
        if (label !== '' && !onCall.some((person) => person.role === role)) onCall.push({ role, label });
      }
    } else if (region.blocks.length > 0) {
      setMetadata(regionTitle, rawBody(lines, region.blocks));
    }
  };

  const readPhase = (node: TopNode, kind: PhaseKind): void => {
    const regions = [node.direct, ...node.subs];
    const phase: DraftPhase = {
      name: node.heading.title,
      kind,
      sections: [],
      signoffs: [],
      source: headingRef(node.heading),
    };
    const stepItems: TemplateItem[] = [];
    const stagingSections: TemplateSection[] = [];
    const liftsToStaging = (entry: ListEntry): boolean =>
      kind === 'deployment' && entry.checkbox !== null && entry.children.length > 0 && STAGING.test(entryTitle(entry));
    const stagingRegion = (region: Region): boolean =>
      kind === 'deployment' && region.heading !== undefined && STAGING.test(region.heading.title);
    // Without numbered checkbox steps, each section of a deployment phase is one step (see docs/templates.md).
    const stepPerSection =
      kind === 'deployment' &&
      !regions.some(
        (region) =>
          !stagingRegion(region) &&
          entriesOf(region).some(
            (entry) =>
              !liftsToStaging(entry) && [...walkEntries([entry])].some((e) => e.ordered && e.checkbox !== null),
          ),
      );

    for (const region of regions) {
      if (!regionHasCheckbox(region)) {
        // Text right under a phase heading introduces it; a sub-heading without checkboxes is information.
        if (region.heading) readInfo(region, region.heading.title);
        continue;
      }
      const heading = region.heading ?? node.heading;
      if (stagingRegion(region)) {
        const items = entriesOf(region).flatMap((entry) => makeItem(entry) ?? []);
        stagingSections.push({
          id: sectionId(slugify(heading.title)),
          title: heading.title,
          items,
          source: headingRef(heading),
        });
        continue;
      }
      const wrapperId = stepPerSection ? itemId(slugify(heading.title)) : undefined;
      const items: TemplateItem[] = [];
      for (const entry of entriesOf(region)) {
        if (liftsToStaging(entry)) {
          const item = makeItem(entry);
          if (item) {
            stagingSections.push({
              id: sectionId(slugify(item.title)),
              title: item.title,
              items: [item],
              source: entryRef(entry),
            });
          }
          continue;
        }
        const item = makeItem(entry, stepItems);
        if (item) items.push(item);
      }
      if (items.length === 0) continue;
      let sectionItems = items;
      if (wrapperId !== undefined) {
        const wrapper = buildItem(
          wrapperId,
          heading.title,
          !OPTIONAL.test(heading.content),
          items,
          headingRef(heading),
        );
        stepItems.push(wrapper);
        sectionItems = [wrapper];
      }
      phase.sections.push({
        id: sectionId(slugify(heading.title)),
        title: heading.title,
        items: sectionItems,
        source: headingRef(heading),
      });
    }

    if (stagingSections.length > 0) {
      const [firstStaging] = stagingSections;
      phases.push({ name: firstStaging?.title ?? 'Staging', kind: 'staging', sections: stagingSections, signoffs: [] });
    }
    if (kind === 'deployment') {
      const stepId = uniqueSlugs();
      phase.steps = stepItems.map((item) => ({ id: stepId(slugify(item.title)), name: item.title, itemId: item.id }));
    }
    if (kind === 'monitoring') {
      const windowId = uniqueSlugs();
      phase.windows = phase.sections.flatMap((section) => {
        const duration = section.source.line === node.heading.line ? undefined : parseWindowDuration(section.title);
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
      const [firstWindow] = phase.windows;
      if (firstWindow) firstWindow.rollbackPolicy = 'automatic';
    }

    const followUp = kind === 'follow-up' ? phases.find((p) => p.kind === 'follow-up') : undefined;
    if (followUp) {
      // Follow-up work never blocks anything, so every follow-up heading joins one phase.
      followUp.name = `${followUp.name} / ${phase.name}`;
      followUp.sections.push(...phase.sections);
      delete followUp.source;
    } else if (phase.sections.length > 0) {
      phases.push(phase);
    }
  };

  // --- Sign-offs -----------------------------------------------------------------------------------------------

  const readSignoffs = (node: TopNode): void => {
    for (const region of [node.direct, ...node.subs]) {
      const entries = entriesOf(region);
      const heading = region.heading ?? node.heading;
      const target = signoffTarget(heading.title) ?? signoffTarget(node.heading.title);
      const regionInfo = { name: heading.title, source: headingRef(heading) };
      const listsRoles = region.heading === undefined || entries.some((entry) => isRoleLine(entry.content));
      if (!listsRoles) {
        // The heading is the role ("### QA Lead"); its lines are what the role attests.
        const role = roleSlug(heading.title);
        const criteria = [...walkEntries(entries)].map((entry) => {
          map(entry, 'signoff-criterion', role);
          return { text: entryTitle(entry), source: entryRef(entry) };
        });
        const requirement: SignoffRequirement = {
          role,
          label: heading.title.replace(/\s*\(optional\)/gi, ''),
          required: !OPTIONAL.test(heading.content),
          criteria,
          source: headingRef(heading),
        };
        pendingSignoffs.push({ target, requirement, region: regionInfo, groupMappings: [] });
        continue;
      }
      const visit = (entry: ListEntry, groupMappings: SourceMapping[]): void => {
        const hasRoleBelow = [...walkEntries(entry.children)].some((child) => isRoleLine(child.content));
        if (!isRoleLine(entry.content) && hasRoleBelow) {
          // A line grouping sign-off lines: its ref (the gate id) is known once phases are final.
          const mapping = map(entry, 'signoff-group', '');
          const nested = mapping ? [...groupMappings, mapping] : groupMappings;
          for (const child of entry.children) visit(child, nested);
          return;
        }
        if (entry.checkbox === null && !isRoleLine(entry.content)) return;
        const label = labelOf(entry.content) || entryTitle(entry);
        const role = roleSlug(label);
        map(entry, 'signoff', role);
        const criteria = [...walkEntries(entry.children)].map((child) => {
          map(child, 'signoff-criterion', role);
          return { text: entryTitle(child), source: entryRef(child) };
        });
        const requirement = { role, label, required: !OPTIONAL.test(entry.content), criteria, source: entryRef(entry) };
        pendingSignoffs.push({ target, requirement, region: regionInfo, groupMappings });
      };
      for (const entry of entries) visit(entry, []);
    }
  };

  // --- Rollback and success metrics ----------------------------------------------------------------------------

  const readRollbackSections = (region: Region, heading: Heading, into: TemplateSection[]): void => {
    const entries = entriesOf(region).filter(hasCheckbox);
    if (entries.length === 0) return;
    if (!entries.some((entry) => entry.children.some(hasCheckbox))) {
      const items = entries.flatMap((entry) => makeItem(entry) ?? []);
      into.push({ id: sectionId(slugify(heading.title)), title: heading.title, items, source: headingRef(heading) });
      return;
    }
    // Numbered (or bulleted) blocks each become a section: the block's line is its title, its lines its items.
    for (const entry of entries) {
      const title = entryTitle(entry);
      if (entry.children.some(hasCheckbox)) {
        const id = sectionId(slugify(title));
        map(entry, 'rollback-step', id);
        const items = entry.children.flatMap((child) => makeItem(child) ?? []);
        into.push({ id, title, items, source: entryRef(entry) });
      } else {
        const item = makeItem(entry);
        if (item) into.push({ id: sectionId(slugify(title)), title, items: [item], source: entryRef(entry) });
      }
    }
  };

  const readConditions = (
    region: Region,
    heading: Heading,
    as: { leaf: 'rollback-trigger' | 'success-metric'; group: 'rollback-trigger-group' | 'success-metric-group' },
    add: (entry: ListEntry, title: string, category: string) => string,
  ): void => {
    const visit = (entry: ListEntry, category: string): void => {
      const title = entryTitle(entry);
      if (entry.children.length > 0) {
        map(entry, as.group, slugify(title, 'group'));
        for (const child of entry.children) visit(child, title);
        return;
      }
      map(entry, as.leaf, add(entry, title, category));
    };
    for (const entry of entriesOf(region)) visit(entry, heading.title);
  };

  const addTrigger = (entry: ListEntry, title: string, category: string): string => {
    const id = triggerId(slugify(title, 'trigger'));
    const condition = parseMetricCondition(title);
    triggers.push({ id, title, category, ...(condition ? { condition } : {}), source: entryRef(entry) });
    return id;
  };

  const addSuccessMetric = (entry: ListEntry, title: string, category: string): string => {
    const id = metricId(slugify(title, 'metric'));
    const condition = parseMetricCondition(title);
    successMetrics.push({ id, title, category, ...(condition ? { condition } : {}), source: entryRef(entry) });
    return id;
  };

  const readRollback = (node: TopNode): void => {
    for (const region of [node.direct, ...node.subs]) {
      const heading = region.heading ?? node.heading;
      if (entriesOf(region).length === 0) continue;
      if (/\btriggers?\b|\bcriteria\b|\bwhen to\b/i.test(heading.title)) {
        readConditions(region, heading, { leaf: 'rollback-trigger', group: 'rollback-trigger-group' }, addTrigger);
      } else if (/\bvalidat|\bverif|\brestor|\bhealth\b|\bafter rollback\b/i.test(heading.title)) {
        readRollbackSections(region, heading, validation);
      } else {
        readRollbackSections(region, heading, procedure);
      }
    }
  };

  const readSuccessMetrics = (node: TopNode): void => {
    for (const region of [node.direct, ...node.subs]) {
      const heading = region.heading ?? node.heading;
      readConditions(region, heading, { leaf: 'success-metric', group: 'success-metric-group' }, addSuccessMetric);
    }
  };

  // --- Walk the document ---------------------------------------------------------------------------------------

  for (const node of nodes) {
    const role: HeadingRole | undefined = headingRole(node.heading.title);
    const regions = [node.direct, ...node.subs];
    if (role === 'signoff') readSignoffs(node);
    else if (role === 'rollback') readRollback(node);
    else if (role === 'success-metrics') readSuccessMetrics(node);
    else if (!regions.some(regionHasCheckbox)) {
      for (const region of regions) readInfo(region, region.heading?.title ?? node.heading.title);
    } else {
      // A checklist heading without a phase keyword is preparation until a deployment phase has been seen.
      const kind = role ?? (phases.some((p) => p.kind === 'deployment') ? 'monitoring' : 'pre-release');
      readPhase(node, kind);
    }
  }

  for (const block of loose) {
    if (block.kind !== 'paragraph') {
      if (block.kind === 'list' && !block.entries.some(hasCheckbox)) description.push(rawBody(lines, [block]));
      continue;
    }
    const prose: string[] = [];
    for (const line of lines.slice(block.start - 1, block.end)) {
      const fact = /^\s*\*\*([^*]+?)\*\*\s*:\s*(.*?)\s*$/.exec(line) ?? /^\s*\*\*([^*]+?):\*\*\s*(.*?)\s*$/.exec(line);
      if (fact?.[1] && fact[2] !== undefined) setMetadata(displayText(fact[1]), fact[2]);
      else prose.push(line);
    }
    const text = displayText(prose.join('\n'));
    if (text !== '') description.push(text);
  }

  if (phases.length === 0) throw new Error('no checklist phase found (no heading with checkbox items)');

  // --- Gates ---------------------------------------------------------------------------------------------------

  const groupRefs: { phase: DraftPhase; mapping: SourceMapping }[] = [];
  for (const pending of pendingSignoffs) {
    let phase = pending.target ? phases.find((p) => p.kind === pending.target && p.kind !== 'follow-up') : undefined;
    if (!phase && pending.target === 'confirmation') {
      phase = {
        name: pending.region.name,
        kind: 'confirmation',
        sections: [],
        signoffs: [],
        source: pending.region.source,
      };
      phases.push(phase);
    }
    // Sign-offs that name no phase approve the release itself: the pre-release gate.
    phase ??= phases.find((p) => p.kind === 'pre-release') ?? phases.find((p) => p.kind !== 'follow-up');
    if (!phase) throw new Error(`sign-off "${pending.requirement.label}" has no gated phase to sign`);
    const existing = phase.signoffs.find((s) => s.role === pending.requirement.role);
    if (existing) existing.criteria.push(...pending.requirement.criteria);
    else phase.signoffs.push(pending.requirement);
    for (const mapping of pending.groupMappings) groupRefs.push({ phase, mapping });
  }

  const sorted = [...phases].sort((a, b) => phaseOrder.indexOf(a.kind) - phaseOrder.indexOf(b.kind));
  const phaseId = uniqueSlugs();
  const finalPhases: Phase[] = sorted.map((draft) => {
    const id = phaseId(draft.kind);
    for (const group of groupRefs) if (group.phase === draft) group.mapping.ref = id;
    return {
      id,
      name: draft.name,
      kind: draft.kind,
      sections: draft.sections,
      gate: draft.kind === 'follow-up' ? null : { id, name: draft.name, signoffs: draft.signoffs },
      ...(draft.steps ? { steps: draft.steps } : {}),
      ...(draft.windows ? { windows: draft.windows } : {}),
      ...(draft.source ? { source: draft.source } : {}),
    };
  });

  const roles: { id: string; label: string }[] = [];
  const addRole = (id: string, label: string): void => {
    if (!roles.some((role) => role.id === id)) roles.push({ id, label });
  };
  for (const phase of finalPhases)
    for (const signoff of phase.gate?.signoffs ?? []) addRole(signoff.role, signoff.label);
  for (const { role, label } of escalationLabels) addRole(role, label);
  for (const { role, label } of onCall) addRole(role, label);

  const template: Template = {
    id: options.id,
    name: title?.title || options.id,
    description: description.join('\n\n'),
    sourceFile: options.sourceFile,
    metadata,
    roles,
    phases: finalPhases,
    rollback: { triggers, procedure, validation },
    successMetrics,
    escalation: { levels, intervalMinutes },
    onCall,
    separationOfDuties: { distinctSignersPerGate: true, creatorNotSoleApprover: true },
    mappings: mappings.sort((a, b) => a.line - b.line),
  };
  checkEveryCheckboxOnce(template, allEntries);
  return Template.parse(template);
}

/** A group is metric-backed only by its own condition, automated when CI verifies all its children, else manual. */
function buildItem(
  id: string,
  title: string,
  required: boolean,
  children: TemplateItem[],
  source: SourceRef,
): TemplateItem {
  const metric = parseMetricCondition(title);
  let kind: TemplateItem['kind'] = 'manual';
  if (metric) kind = 'metric';
  else if (children.length > 0 ? children.every((child) => child.kind === 'automated') : isAutomated(title)) {
    kind = 'automated';
  }
  return { id, title, required, kind, ...(metric ? { metric } : {}), children, source };
}

/** The import's contract: each checkbox line of the source is exactly one item or one mapping. */
function checkEveryCheckboxOnce(template: Template, entries: readonly ListEntry[]): void {
  const counts = new Map<number, number>();
  const count = (line: number): void => {
    counts.set(line, (counts.get(line) ?? 0) + 1);
  };
  const sections = [
    ...template.phases.flatMap((phase) => phase.sections),
    ...template.rollback.procedure,
    ...template.rollback.validation,
  ];
  for (const section of sections) for (const item of walkItems(section.items)) count(item.source.line);
  for (const mapping of template.mappings) count(mapping.line);
  for (const entry of entries) {
    if (entry.checkbox === null) continue;
    const seen = counts.get(entry.line) ?? 0;
    if (seen === 0)
      throw new Error(`checkbox on line ${entry.line} ("${entry.text.trim()}") has no place in the template`);
    if (seen > 1) throw new Error(`checkbox on line ${entry.line} ("${entry.text.trim()}") was imported ${seen} times`);
  }
}

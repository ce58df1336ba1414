// Lists of measurable conditions (rollback triggers, success metrics): one per line, sub-lines a category.

import type { SourceMapping } from '../template/template.ts';
import { entriesOf, entryRef, entryTitle, type Region, regionsOf, type TopNode } from './document.ts';
import { parseMetricCondition } from './metrics.ts';
import type { Heading, ListEntry } from './outline.ts';
import { type ImportState, mapEntry } from './state.ts';
import { slugify } from './text.ts';

/** How the lines of one kind of condition list are recorded. */
interface ConditionKind {
  readonly leaf: Extract<SourceMapping['as'], 'rollback-trigger' | 'success-metric'>;
  readonly group: Extract<SourceMapping['as'], 'rollback-trigger-group' | 'success-metric-group'>;
  /** Adds the condition a leaf line states and returns its id. */
  readonly add: (state: ImportState, entry: ListEntry, title: string, category: string) => string;
}

function addTrigger(state: ImportState, entry: ListEntry, title: string, category: string): string {
  const id = state.triggerId(slugify(title, 'trigger'));
  const condition = parseMetricCondition(title);
  state.triggers.push({ id, title, category, ...(condition ? { condition } : {}), source: entryRef(entry) });
  return id;
}

function addSuccessMetric(state: ImportState, entry: ListEntry, title: string, category: string): string {
  const id = state.metricId(slugify(title, 'metric'));
  const condition = parseMetricCondition(title);
  state.successMetrics.push({ id, title, category, ...(condition ? { condition } : {}), source: entryRef(entry) });
  return id;
}

const triggerKind: ConditionKind = { leaf: 'rollback-trigger', group: 'rollback-trigger-group', add: addTrigger };
const metricKind: ConditionKind = { leaf: 'success-metric', group: 'success-metric-group', add: addSuccessMetric };

/** Reads a region of rollback triggers ("### Rollback Triggers"). */
export function readRollbackTriggers(state: ImportState, region: Region, heading: Heading): void {
  readConditions(state, region, heading, triggerKind);
}

/** Reads every region of a success-metrics heading. */
export function readSuccessMetrics(state: ImportState, node: TopNode): void {
  for (const region of regionsOf(node)) {
    const heading = region.heading ?? node.heading;
    readConditions(state, region, heading, metricKind);
  }
}

/** Lines at the top of a region are in the heading's category. */
function readConditions(state: ImportState, region: Region, heading: Heading, kind: ConditionKind): void {
  for (const entry of entriesOf(region)) readCondition(state, entry, heading.title, kind);
}

function readCondition(state: ImportState, entry: ListEntry, category: string, kind: ConditionKind): void {
  const title = entryTitle(entry);
  if (entry.children.length > 0) {
    mapEntry(state, entry, kind.group, slugify(title, 'group'));
    for (const child of entry.children) readCondition(state, child, title, kind);
    return;
  }
  mapEntry(state, entry, kind.leaf, kind.add(state, entry, title, category));
}

// Checklist items: one per checkbox line, nested as the list nests them, with the kind of check each one is.

import type { SourceRef, TemplateItem } from '../template/template.ts';
import { entryRef, entryTitle, OPTIONAL } from './document.ts';
import { isAutomated } from './heuristics.ts';
import { parseMetricCondition } from './metrics.ts';
import type { ListEntry } from './outline.ts';
import type { ImportState } from './state.ts';
import { slugify } from './text.ts';

/**
 * Item ids go into URLs and scripts, so they are short: the subject before a colon ("Python test suite: 95%+
 * pass rate" -> python-test-suite) when there is one, else the title, within 48 characters.
 */
function itemSlug(title: string): string {
  const subject = /^([^:]{3,}?):\s/.exec(title)?.[1];
  return slugify(subject ?? title, 'item', 48);
}

/**
 * One item per step (a task, or a list item read as a step: see steps.ts), children nested. Ids are handed out parent
 * first, in document order. `steps` collects the outermost numbered steps (deployment steps).
 */
export function makeItem(
  state: ImportState,
  entry: ListEntry,
  steps?: TemplateItem[],
  underNumbered = false,
): TemplateItem | undefined {
  if (!entry.step) return undefined;
  const title = entryTitle(entry);
  const id = state.itemId(itemSlug(title));
  const numbered = entry.ordered && !underNumbered;
  const children = entry.children.flatMap((child) => makeItem(state, child, steps, underNumbered || numbered) ?? []);
  const item = buildItem(id, title, !OPTIONAL.test(entry.content), children, entryRef(entry));
  const description = entry.notes.join('\n\n');
  if (description !== '') item.description = description;
  if (numbered) steps?.push(item);
  return item;
}

/** A group is metric-backed only by its own condition, automated when CI verifies all its children, else manual. */
export function buildItem(
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

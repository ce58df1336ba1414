// The rollback plan: triggers (see conditions.ts), the procedure to run, and the validation after it.

import type { TemplateSection } from '../template/template.ts';
import { readRollbackTriggers } from './conditions.ts';
import { entriesOf, entryRef, entryTitle, headingRef, type Region, regionsOf, type TopNode } from './document.ts';
import { makeItem } from './items.ts';
import type { Heading } from './outline.ts';
import { type ImportState, mapEntry } from './state.ts';
import { slugify } from './text.ts';

/** Each region of a rollback heading is triggers, validation or (otherwise) procedure, by its heading's words. */
export function readRollback(state: ImportState, node: TopNode): void {
  for (const region of regionsOf(node)) {
    const heading = region.heading ?? node.heading;
    if (entriesOf(region).length === 0) continue;
    if (/\btriggers?\b|\bcriteria\b|\bwhen to\b/i.test(heading.title)) {
      readRollbackTriggers(state, region, heading);
    } else if (/\bvalidat|\bverif|\brestor|\bhealth\b|\bafter rollback\b/i.test(heading.title)) {
      readRollbackSections(state, region, heading, state.validation);
    } else {
      readRollbackSections(state, region, heading, state.procedure);
    }
  }
}

function readRollbackSections(state: ImportState, region: Region, heading: Heading, into: TemplateSection[]): void {
  const entries = entriesOf(region).filter((entry) => entry.step);
  if (entries.length === 0) return;
  if (!entries.some((entry) => entry.children.some((child) => child.step))) {
    const items = entries.flatMap((entry) => makeItem(state, entry) ?? []);
    into.push({
      id: state.sectionId(slugify(heading.title)),
      title: heading.title,
      items,
      source: headingRef(heading),
    });
    return;
  }
  // Numbered (or bulleted) blocks each become a section: the block's line is its title, its lines its items.
  for (const entry of entries) {
    const title = entryTitle(entry);
    if (entry.children.some((child) => child.step)) {
      const id = state.sectionId(slugify(title));
      mapEntry(state, entry, 'rollback-step', id);
      const items = entry.children.flatMap((child) => makeItem(state, child) ?? []);
      into.push({ id, title, items, source: entryRef(entry) });
    } else {
      const item = makeItem(state, entry);
      if (item) into.push({ id: state.sectionId(slugify(title)), title, items: [item], source: entryRef(entry) });
    }
  }
}

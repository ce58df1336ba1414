// Which list entries are steps. A task is always one; a plain list item is one where its region reads plain lists
// as steps (see `plainListsAreSteps`), unless it is a note; a note or an empty item is never a step, and a note is
// kept as the description of the step it follows.
import {
  type ChecklistDocument,
  entryMarkdown,
  namesARole,
  type Region,
  regionHasSteps,
  regionsOf,
  type TopNode,
} from './document.ts';
import type { ListEntry } from './entries.ts';
import type { ImportWarning } from './report.ts';
import { cleanDisplayText } from './text.ts';

/** Headings of reference material, not work: their lists are information (metadata, contacts, escalation). */
const INFO_TITLE =
  /^(?:(?:additional|useful|related|other|important|general)\s+)?(?:notes?|resources?|links?|references?|see also|glossary|background|overview|summary|context|faq|questions?|communication(?:\s+channels?)?|channels?|people|owners?|contributors?|credits?)$/i;
const INFO_WORDS = /\bescalat|\bon[- ]?call\b|\bcontacts?\b/i;

export const isInfoTitle = (title: string): boolean => INFO_TITLE.test(title) || INFO_WORDS.test(title);

/** A plain item that comments rather than asks for work: "Note: …", "Tip: …", "**Warning**: …". */
const NOTE =
  /^\W*(?:notes?|nb|n\.b\.|tips?|hints?|warnings?|caution|important|fyi|info|reminder|remember)\b\s*[:!—–-]/i;

/**
 * Plain list items are steps where the author wrote tasks (plain bullets among and around them are steps too), in a
 * document with no checkbox at all (its numbered steps and bullets are the checklist), in a numbered list, and under
 * a heading that names a phase or a construct. Under a heading of reference material they are information.
 */
function plainListsAreSteps(node: TopNode, region: Region, documentHasTasks: boolean): boolean {
  const entries = region.entries;
  if (entries.some((entry) => hasTask(entry))) return true;
  if (isInfoTitle(region.heading?.title ?? '') || (!node.synthetic && isInfoTitle(node.heading.title))) return false;
  if (!documentHasTasks) return true;
  if (entries.some((entry) => entry.ordered)) return true;
  return namesARole(node);
}

function hasTask(entry: ListEntry): boolean {
  return entry.checkbox !== null || entry.children.some(hasTask);
}

const isEmpty = (entry: ListEntry): boolean =>
  entry.plain.trim() === '' && entry.code === undefined && entry.children.length === 0 && entry.notes.length === 0;

/**
 * Sets `step` on every entry of every region and keeps each non-step item as a description. A composed part before
 * the first heading that holds no step goes back to the document's loose blocks: it describes the release.
 */
export function markSteps(document: ChecklistDocument): void {
  const { nodes, allEntries, lines, warnings, lead, loose } = document;
  const documentHasTasks = allEntries.some((entry) => entry.checkbox !== null);
  for (const node of nodes) {
    for (const region of regionsOf(node)) {
      const plainSteps = plainListsAreSteps(node, region, documentHasTasks);
      markEntries(region.entries, { plainSteps, lines, warnings }, region.description);
    }
  }
  if (lead && !regionHasSteps(lead.direct)) {
    nodes.splice(nodes.indexOf(lead), 1);
    loose.unshift(...lead.direct.blocks.filter((block) => block.kind !== 'other'));
  }
}

interface Marking {
  readonly plainSteps: boolean;
  readonly lines: readonly string[];
  readonly warnings: ImportWarning[];
}

/** Children first, so a plain item with a step below it is a step (a group). */
function markEntries(entries: readonly ListEntry[], marking: Marking, parentNotes: string[]): void {
  let previous: ListEntry | undefined;
  for (const entry of entries) {
    markEntries(entry.children, marking, entry.notes);
    const empty = isEmpty(entry);
    const note = entry.checkbox === null && NOTE.test(cleanDisplayText(entry.plain));
    entry.step =
      !empty &&
      (entry.checkbox !== null || entry.children.some((child) => child.step) || (marking.plainSteps && !note));
    if (entry.step) {
      previous = entry;
    } else if (empty) {
      if (entry.checkbox !== null) marking.warnings.push({ line: entry.line, message: 'an empty task, not imported' });
    } else {
      (previous?.notes ?? parentNotes).push(entryMarkdown(marking.lines, entry));
    }
  }
}

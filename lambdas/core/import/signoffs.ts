// Sign-off sections: who signs and what each signer attests (gates.ts decides which gate each one joins).

import type { SignoffRequirement, SourceMapping } from '../template/template.ts';
import { entriesOf, entryRef, entryTitle, headingRef, labelOf, OPTIONAL, regionsOf, type TopNode } from './document.ts';
import { roleSlug, signoffTarget } from './heuristics.ts';
import { type Heading, type ListEntry, walkEntries } from './outline.ts';
import { type ImportState, mapEntry, type PendingSignoff } from './state.ts';

/** What every sign-off of one region shares. */
type SignoffContext = Pick<PendingSignoff, 'target' | 'region'>;

/** A sign-off line names its role in bold before a colon ("**QA Team Lead**: ____ Date: ____") or leaves a blank. */
function isRoleLine(content: string): boolean {
  return /^\s*\*\*[^*]+\*\*\s*:|^\s*\*\*[^*]+:\*\*|_{3,}/.test(content);
}

/** Reads every region of a sign-off heading into pending sign-offs. */
export function readSignoffs(state: ImportState, node: TopNode): void {
  for (const region of regionsOf(node)) {
    const entries = entriesOf(region);
    const heading = region.heading ?? node.heading;
    const context: SignoffContext = {
      target: signoffTarget(heading.title) ?? signoffTarget(node.heading.title),
      region: { name: heading.title, source: headingRef(heading) },
    };
    const listsRoles = region.heading === undefined || entries.some((entry) => isRoleLine(entry.content));
    if (listsRoles) {
      for (const entry of entries) readSignoffEntry(state, context, entry, []);
    } else {
      readHeadingSignoff(state, context, heading, entries);
    }
  }
}

/** The heading is the role ("### QA Lead"); its lines are what the role attests. */
function readHeadingSignoff(
  state: ImportState,
  context: SignoffContext,
  heading: Heading,
  entries: readonly ListEntry[],
): void {
  const role = roleSlug(heading.title);
  const criteria = [...walkEntries(entries)].map((entry) => {
    mapEntry(state, entry, 'signoff-criterion', role);
    return { text: entryTitle(entry), source: entryRef(entry) };
  });
  const requirement: SignoffRequirement = {
    role,
    label: heading.title.replace(/\s*\(optional\)/gi, ''),
    required: !OPTIONAL.test(heading.content),
    criteria,
    source: headingRef(heading),
  };
  state.pendingSignoffs.push({ ...context, requirement, groupMappings: [] });
}

/** A role line is one sign-off, its nested lines the criteria; a line above role lines groups them. */
function readSignoffEntry(
  state: ImportState,
  context: SignoffContext,
  entry: ListEntry,
  groupMappings: SourceMapping[],
): void {
  const hasRoleBelow = [...walkEntries(entry.children)].some((child) => isRoleLine(child.content));
  if (!isRoleLine(entry.content) && hasRoleBelow) {
    // A line grouping sign-off lines: its ref (the gate id) is known once phases are final.
    const mapping = mapEntry(state, entry, 'signoff-group', '');
    const nested = mapping ? [...groupMappings, mapping] : groupMappings;
    for (const child of entry.children) readSignoffEntry(state, context, child, nested);
    return;
  }
  if (!entry.step && !isRoleLine(entry.content)) return;
  const label = labelOf(entry.content) || entryTitle(entry);
  const role = roleSlug(label);
  mapEntry(state, entry, 'signoff', role);
  const criteria = [...walkEntries(entry.children)].map((child) => {
    mapEntry(state, child, 'signoff-criterion', role);
    return { text: entryTitle(child), source: entryRef(child) };
  });
  const requirement = { role, label, required: !OPTIONAL.test(entry.content), criteria, source: entryRef(entry) };
  state.pendingSignoffs.push({ ...context, requirement, groupMappings });
}

// Text without checkboxes: escalation levels, on-call contacts, metadata, and the document's description.

import { entriesOf, entryRef, labelOf, type Region, rawBody } from './document.ts';
import { roleSlug } from './heuristics.ts';
import { type Block, displayText, hasCheckbox, type ListEntry } from './outline.ts';
import type { ImportState } from './state.ts';

/** Metadata keys stay unique: a repeated key gets " (2)", " (3)", … */
function setMetadata(state: ImportState, key: string, value: string): void {
  let name = key;
  for (let n = 2; name in state.metadata; n++) name = `${key} (${n})`;
  state.metadata[name] = value;
}

/** A region without checkboxes: an escalation path, a contact list, or else metadata under its title. */
export function readInfo(state: ImportState, region: Region, regionTitle: string): void {
  const entries = entriesOf(region);
  if (/\bescalat/i.test(regionTitle) && entries.length > 0) {
    readEscalation(state, region, entries);
  } else if (/\bon[- ]?call\b|\bcontacts?\b/i.test(regionTitle) && entries.length > 0) {
    readOnCall(state, entries);
  } else if (region.blocks.length > 0) {
    setMetadata(state, regionTitle, rawBody(state.lines, region.blocks));
  }
}

/** One escalation level per line ("**Level 2**: CTO + QA Lead"); a number of minutes in the region is the interval. */
function readEscalation(state: ImportState, region: Region, entries: readonly ListEntry[]): void {
  entries.forEach((entry, index) => {
    const text = displayText(entry.content);
    const written = Number(/\blevel\s*(\d+)/i.exec(text)?.[1] ?? Number.NaN);
    const level = Number.isSafeInteger(written) && written >= 1 ? written : index + 1;
    const who = text.includes(':') ? text.slice(text.indexOf(':') + 1) : text.replace(/\blevel\s*\d+/i, '');
    const labels = who
      .split(/\s*(?:\+|,|&|\/|\band\b)\s*/i)
      .map((label) => label.trim())
      .filter((label) => label !== '');
    // A level that names nobody pages nobody: it is not a level.
    if (text === '' || labels.length === 0) return;
    const roles = [...new Set(labels.map(roleSlug))];
    for (const label of labels) state.escalationLabels.push({ role: roleSlug(label), label });
    state.levels.push({ level, label: text, roles, source: entryRef(entry) });
  });
  const interval = /\b(\d+)\s*(?:minutes?|mins?)\b/i.exec(rawBody(state.lines, region.blocks));
  const minutes = Number(interval?.[1] ?? Number.NaN);
  if (Number.isSafeInteger(minutes) && minutes > 0) state.intervalMinutes = minutes;
}

/** One on-call role per line, the first line naming a role winning. */
function readOnCall(state: ImportState, entries: readonly ListEntry[]): void {
  for (const entry of entries) {
    const label = labelOf(entry.content);
    const role = roleSlug(label);
    if (label !== '' && !state.onCall.some((person) => person.role === role)) state.onCall.push({ role, label });
  }
}

/**
 * Blocks outside every section describe the release: prose and plain lists become the description, and
 * "**Key**: value" lines of a paragraph become metadata.
 */
export function readLooseBlocks(state: ImportState, blocks: readonly Block[]): void {
  for (const block of blocks) {
    if (block.kind !== 'paragraph') {
      if (block.kind === 'list' && !block.entries.some(hasCheckbox)) {
        state.description.push(rawBody(state.lines, [block]));
      }
      continue;
    }
    const prose: string[] = [];
    for (const line of state.lines.slice(block.start - 1, block.end)) {
      const fact = /^\s*\*\*([^*]+?)\*\*\s*:\s*(.*?)\s*$/.exec(line) ?? /^\s*\*\*([^*]+?):\*\*\s*(.*?)\s*$/.exec(line);
      if (fact?.[1] && fact[2] !== undefined) setMetadata(state, displayText(fact[1]), fact[2]);
      else prose.push(line);
    }
    const text = displayText(prose.join('\n'));
    if (text !== '') state.description.push(text);
  }
}

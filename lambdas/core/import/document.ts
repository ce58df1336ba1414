// The checklist as the importer walks it: top-level headings, their regions, and readers of their list lines.

import type { SourceRef } from '../template/template.ts';
import {
  type Block,
  displayText,
  type Heading,
  hasCheckbox,
  type ListEntry,
  parseOutline,
  walkEntries,
} from './outline.ts';

/** A heading's span of the document: the blocks up to the next heading (or horizontal rule). */
export interface Region {
  readonly heading: Heading | undefined;
  readonly blocks: Block[];
}

/** A top-level heading with the blocks right under it (`direct`) and its sub-headings. */
export interface TopNode {
  readonly heading: Heading;
  readonly direct: Region;
  readonly subs: Region[];
}

/** A checklist as the importer walks it. */
export interface ChecklistDocument {
  readonly lines: readonly string[];
  readonly title: Heading | undefined;
  readonly nodes: TopNode[];
  /** Blocks outside every heading's region: before the first heading or after a horizontal rule. */
  readonly loose: Block[];
  /** Every list entry of the document, nested ones included, in document order. */
  readonly allEntries: ListEntry[];
}

/** Marks a line or heading as not required. */
export const OPTIONAL = /\(optional\)/i;

export const ref = (line: number, text: string): SourceRef => ({ line, text });
export const headingRef = (heading: Heading): SourceRef => ref(heading.line, heading.text);
export const entryRef = (entry: ListEntry): SourceRef => ref(entry.line, entry.text);

/** The direct region of a top-level heading, then its sub-headings' regions, in document order. */
export function regionsOf(node: TopNode): Region[] {
  return [node.direct, ...node.subs];
}

export function entriesOf(region: Region): ListEntry[] {
  return region.blocks.flatMap((block) => (block.kind === 'list' ? [...block.entries] : []));
}

export function regionHasCheckbox(region: Region): boolean {
  return entriesOf(region).some(hasCheckbox);
}

/** Display title of a list entry: "(optional)" is a flag, not part of the title. */
export function entryTitle(entry: ListEntry): string {
  const title = displayText(entry.content.replace(/\s*\(optional\)/gi, ' '));
  return title === '' ? `Line ${entry.line}` : title;
}

/** The role label of a "**Label**: …" line, else its text up to a colon or a blank to fill in. */
export function labelOf(content: string): string {
  const bold = /^\s*\*\*([^*]+?)\*\*/.exec(content);
  const raw = bold?.[1] ?? content.split(/:|_{2,}/)[0] ?? content;
  return displayText(raw.replace(/\s*\(optional\)/gi, ' ')).replace(/\s*:$/, '');
}

/** The Markdown of a region's blocks, as written (trailing spaces trimmed), for free-form metadata. */
export function rawBody(lines: readonly string[], blocks: readonly Block[]): string {
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
export function structure(source: string): ChecklistDocument {
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

// The checklist as the importer walks it: top-level parts (headings, bold titles, or one part when there is no
// heading), their regions, and which list entries are steps.

import type { SourceRef } from '../template/template.ts';
import { type ListEntry, rawLines, renest, walkEntries } from './entries.ts';
import type { FrontMatter } from './front-matter.ts';
import { headingRole } from './heuristics.ts';
import { type Block, blockMarkdown, displayText, type Heading, parseOutline } from './outline.ts';
import type { ImportWarning } from './report.ts';
import { cleanDisplayText } from './text.ts';

/** A heading's span of the document: its blocks, its logical list (lists split by code re-joined) and its prose. */
export interface Region {
  readonly heading: Heading | undefined;
  readonly blocks: Block[];
  /** The region's list entries, outermost first, nested as laid out (see `renest`). */
  readonly entries: ListEntry[];
  /** Markdown of prose and blocks that describe the section rather than one of its steps. */
  readonly description: string[];
}

/** A top-level part with the blocks right under it (`direct`) and its sub-headings. */
export interface TopNode {
  readonly heading: Heading;
  readonly direct: Region;
  readonly subs: Region[];
  /** True when the importer composed the part (steps before any heading): its heading is not in the source. */
  readonly synthetic: boolean;
}

export interface ChecklistDocument {
  readonly lines: readonly string[];
  readonly title: Heading | undefined;
  readonly nodes: TopNode[];
  /** Paragraphs and step-less lists outside every part: before the first heading or after a horizontal rule. */
  readonly loose: Block[];
  /** Every list entry of the document's parts, nested ones included, in document order. */
  readonly allEntries: ListEntry[];
  readonly frontMatter: FrontMatter | undefined;
  readonly warnings: ImportWarning[];
  /** True when the document has no part heading (nor bold title): its steps form one composed part. */
  readonly headless: boolean;
  /** The composed part of the steps before the first heading, if any (the first of `nodes`). */
  readonly lead: TopNode | undefined;
}

/** Marks a line or heading as not required. */
export const OPTIONAL = /\(optional\)/i;

export const ref = (line: number, text: string): SourceRef => ({ line, text });
export const headingRef = (heading: Heading): SourceRef => ref(heading.line, heading.text);
export const entryRef = (entry: ListEntry): SourceRef => ref(entry.line, entry.text);

/** The direct region of a top-level part, then its sub-headings' regions, in document order. */
export function regionsOf(node: TopNode): Region[] {
  return [node.direct, ...node.subs];
}

export function entriesOf(region: Region): ListEntry[] {
  return region.entries;
}

/** True when the region holds a step: a task, or a list item read as a step (see steps.ts). */
export function regionHasSteps(region: Region): boolean {
  return [...walkEntries(region.entries)].some((entry) => entry.step);
}

/** Display title of a list entry: "(optional)" is a flag, not part of the title; a task of only code is its code. */
export function entryTitle(entry: ListEntry): string {
  const title = cleanDisplayText(entry.plain.replace(/\s*\(optional\)/gi, ' '));
  if (title !== '') return title;
  return entry.code ? cleanDisplayText(entry.code) || `Line ${entry.line}` : `Line ${entry.line}`;
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

const newRegion = (heading: Heading | undefined): Region => ({ heading, blocks: [], entries: [], description: [] });

/**
 * The document's title: a first heading of level 1 that no other level-1 heading repeats ("# Release checklist").
 * Bold titles never are.
 */
function documentTitle(headings: readonly Heading[]): Heading | undefined {
  const [first] = headings;
  if (first?.level !== 1) return undefined;
  return headings.filter((h) => h.level === 1).length === 1 ? first : undefined;
}

/** Builds regions from the outline: lists re-joined, prose and code kept where they describe a step or section. */
class RegionBuilder {
  /** The region a block goes to; undefined before the first part heading. */
  region: Region | undefined;
  /** The region whose last block is a list that a further list continues, if any. */
  private openList: Region | undefined;
  private readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    this.lines = lines;
  }

  enter(region: Region): void {
    this.region = region;
    this.openList = undefined;
  }

  /** Prose outside every region still ends the list above it. */
  interrupt(): void {
    this.openList = undefined;
  }

  add(region: Region, block: Block): void {
    region.blocks.push(block);
    if (block.kind === 'list') {
      renest(region.entries, block.entries, this.openList === region);
      this.openList = region;
    } else if (block.kind === 'paragraph') {
      region.description.push(blockMarkdown(this.lines, block));
      this.openList = undefined;
    } else {
      // A code fence, quote, table or `<details>` right after a list belongs to the list's last item (a column-0
      // fence splits one logical list); anywhere else it describes the section.
      const last = region.entries[region.entries.length - 1];
      if (this.openList === region && last) last.notes.push(blockMarkdown(this.lines, block));
      else region.description.push(blockMarkdown(this.lines, block));
    }
  }
}

/** Splits the outline into top-level parts with their sub-headings; returns the title and loose blocks. */
export function structure(source: string): ChecklistDocument {
  const outline = parseOutline(source);
  const headings = outline.nodes.flatMap((node) => (node.kind === 'heading' ? [node.heading] : []));
  const title = documentTitle(headings);
  const rest = headings.filter((h) => h !== title);
  const phaseLevel = Math.min(...rest.map((h) => h.level));
  const nodes: TopNode[] = [];
  const loose: Block[] = [];
  // Steps before the first part heading (or in a document without one) form a part of their own.
  const lead = newRegion(undefined);
  const builder = new RegionBuilder(outline.lines);
  let current: TopNode | undefined;
  let afterBreak = false;
  for (const node of outline.nodes) {
    if (node.kind === 'heading') {
      if (node.heading === title) continue;
      afterBreak = false;
      if (node.heading.level <= phaseLevel || !current) {
        current = { heading: node.heading, direct: newRegion(undefined), subs: [], synthetic: false };
        nodes.push(current);
        builder.enter(current.direct);
      } else {
        const region = newRegion(node.heading);
        current.subs.push(region);
        builder.enter(region);
      }
    } else if (node.kind === 'break') {
      // A horizontal rule closes the prose above it: paragraphs after it, up to the next heading, are document-level
      // (the footer facts of a checklist sit there). Lists after it stay in their section: no step is dropped.
      afterBreak = true;
    } else if (node.block.kind === 'paragraph' && (afterBreak || !builder.region)) {
      loose.push(node.block);
      builder.interrupt();
    } else {
      builder.add(builder.region ?? lead, node.block);
    }
  }
  const leadNode = leadPart(lead, title, outline.lines, rest.length === 0);
  if (leadNode) nodes.unshift(leadNode);
  const allEntries = nodes.flatMap((node) => regionsOf(node).flatMap((region) => [...walkEntries(region.entries)]));
  return {
    lines: outline.lines,
    title,
    nodes,
    loose,
    allEntries,
    frontMatter: outline.frontMatter,
    warnings: [...outline.warnings],
    headless: rest.length === 0,
    lead: leadNode,
  };
}

/** The composed part holding the steps before the first heading, titled by the document's title if it has one. */
function leadPart(
  lead: Region,
  title: Heading | undefined,
  lines: readonly string[],
  headless: boolean,
): TopNode | undefined {
  const first = lead.entries[0];
  if (!first) return undefined;
  const line = title?.line ?? first.line;
  const name = title?.title || (headless ? 'Checklist' : 'Before the first heading');
  const heading: Heading = { level: 0, line, text: lines[line - 1] ?? '', content: name, title: name };
  return { heading, direct: lead, subs: [], synthetic: true };
}

/** Markdown of an entry as written, nested lines included: a note kept as a description. */
export function entryMarkdown(lines: readonly string[], entry: ListEntry): string {
  return rawLines(lines, entry.line, entry.end);
}

/** True when the part's heading names what it is (a phase, sign-offs, rollback, success metrics). */
export const namesARole = (node: TopNode): boolean => !node.synthetic && headingRole(node.heading.title) !== undefined;

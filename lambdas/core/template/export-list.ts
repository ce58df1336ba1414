// Checklist items as Markdown task lists, and the annotations a filled-in export (a release) adds to a blank one.
import { inline } from './markdown-text.ts';
import type { DeploymentStep, Gate, MonitoringWindow, Phase, SignoffRequirement, TemplateItem } from './template.ts';

/** How one sign-off line is filled in: ticked or not, its state in words, and the record below it. */
export interface SignoffMark {
  readonly checked: boolean;
  /** Safe Markdown put after the role's label, e.g. "Approved". */
  readonly state: string;
  /** Safe Markdown paragraphs, one line each. */
  readonly notes: readonly string[];
}

/**
 * What a filled-in export adds to the blank checklist. Every string is Markdown the caller has made safe (user text
 * escaped with `markdown-text.ts`) and one line long; notes become paragraphs after the first one of a list item or
 * under a heading, which the importer never reads as titles or structure.
 */
export interface ChecklistAnnotations {
  /** The document's title; the template's name by default. */
  readonly title?: string | undefined;
  /** Blocks right after the title. */
  readonly header?: readonly string[] | undefined;
  readonly checked?: ((item: TemplateItem) => boolean) | undefined;
  readonly itemNotes?: ((item: TemplateItem) => readonly string[]) | undefined;
  readonly phaseNotes?: ((phase: Phase) => readonly string[]) | undefined;
  readonly windowNotes?: ((window: MonitoringWindow) => readonly string[]) | undefined;
  /** Under the heading of a deployment step that is a whole section (its heading has no checkbox to tick). */
  readonly stepNotes?: ((step: DeploymentStep, item: TemplateItem) => readonly string[]) | undefined;
  readonly signoff?: ((gate: Gate, requirement: SignoffRequirement) => SignoffMark) | undefined;
  readonly rollbackNotes?: readonly string[] | undefined;
  /** The rollback trigger that fired, ticked in the trigger list. */
  readonly firedTrigger?: string | undefined;
}

/** The list-rendering part of the annotations, with the ids of items written as numbered deployment steps. */
export interface ListContext {
  readonly annotations: ChecklistAnnotations;
  /** Items written as ordered (`1.`) lines: the importer takes the outermost numbered checkbox lines as steps. */
  readonly numbered: ReadonlySet<string>;
}

/** `[x]` or `[ ]`. */
export const box = (checked: boolean): string => (checked ? '[x]' : '[ ]');

/**
 * Items as task-list lines, nested by indentation. An item's notes are paragraphs of its own list item, after a
 * blank line (without it they would continue, and change, its title). Numbered items restart at 1 in each run, since
 * only a list starting at 1 may follow another line directly.
 */
export function itemLines(items: readonly TemplateItem[], indent: string, context: ListContext): string[] {
  const lines: string[] = [];
  let run = 0;
  for (const item of items) {
    const numbered = context.numbered.has(item.id);
    run = numbered ? run + 1 : 0;
    const marker = numbered ? `${run}.` : '-';
    const checked = context.annotations.checked?.(item) ?? false;
    lines.push(`${indent}${marker} ${box(checked)} ${inline(item.title)}${item.required ? '' : ' (optional)'}`);
    const inner = indent + ' '.repeat(marker.length + 1);
    const notes = context.annotations.itemNotes?.(item) ?? [];
    for (const note of notes) lines.push('', `${inner}${note}`);
    if (notes.length > 0) lines.push('');
    if (item.children.length > 0) lines.push(...itemLines(item.children, inner, context));
  }
  return lines;
}

/** A list as one block: lines joined, without the trailing blank line an annotated last item leaves. */
export function listBlock(lines: readonly string[]): string {
  const end = lines.findLastIndex((line) => line !== '');
  return lines.slice(0, end + 1).join('\n');
}

// List items as the importer reads them from markdown-it tokens: task checkboxes, nesting, titles with references
// resolved, and the blocks inside an item (code, quotes, tables, `<details>`, later paragraphs) kept as its notes.
import type { Token } from 'markdown-it';
import { inlineSource, tokensText } from './inline.ts';

/** One list item of the source. */
export interface ListEntry {
  readonly line: number;
  /** Last source line of the item, nested lines included. */
  readonly end: number;
  /** The item's first source line, exactly as written. */
  readonly text: string;
  /** Column of the list marker (tabs to 4), to nest under-indented lists the way their author laid them out. */
  readonly indent: number;
  readonly ordered: boolean;
  /** `open` for `[ ]`, `done` for `[x]`, null for a plain list item. */
  readonly checkbox: 'open' | 'done' | null;
  /** The item's first paragraph as inline Markdown, without the checkbox. */
  readonly content: string;
  /** The first paragraph as plain text (links resolved, placeholders as written), without the checkbox. */
  readonly plain: string;
  readonly children: ListEntry[];
  /** Markdown of the item's other blocks, each as written: they describe the step, they are not steps. */
  readonly notes: string[];
  /** First line of the item's first code block: the title of a task whose only content is code. */
  readonly code: string | undefined;
  /** Whether the item is a step of the checklist (decided per region in document.ts). */
  step: boolean;
}

const checkboxPattern = /^\[([ xX])\](?:[ \t]+|$)/;

/** The task checkbox at the start of a list item's inline content, and the content after it. */
export function splitCheckbox(content: string): { checkbox: 'open' | 'done' | null; rest: string } {
  const match = checkboxPattern.exec(content);
  if (!match) return { checkbox: null, rest: content };
  return { checkbox: match[1] === ' ' ? 'open' : 'done', rest: content.slice(match[0].length) };
}

/** Columns of leading whitespace, a tab reaching the next multiple of 4. */
export function indentOf(line: string): number {
  let column = 0;
  for (const char of line) {
    if (char === ' ') column += 1;
    else if (char === '\t') column += 4 - (column % 4);
    else break;
  }
  return column;
}

/** Source lines `start..end` (1-based, inclusive) without their common indentation. */
export function rawLines(lines: readonly string[], start: number, end: number): string {
  const slice = lines.slice(start - 1, end).map((line) => line.replace(/\t/g, '    ').trimEnd());
  const indents = slice.filter((line) => line.trim() !== '').map((line) => indentOf(line));
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return slice
    .map((line) => line.slice(common))
    .join('\n')
    .trim();
}

/** Index just after the block that opens at `tokens[i]` (its close at the same level, or the token itself). */
export function skipBlock(tokens: readonly Token[], i: number): number {
  const open = tokens[i];
  if (open?.nesting !== 1) return i + 1;
  let j = i + 1;
  while (j < tokens.length && !(tokens[j]?.nesting === -1 && tokens[j]?.level === open.level)) j++;
  return j + 1;
}

const isListOpen = (token: Token | undefined): boolean =>
  token?.type === 'bullet_list_open' || token?.type === 'ordered_list_open';

/** Reads the list opening at `tokens[start]`, nested lists included; `next` is the index after its close. */
export function parseList(
  tokens: readonly Token[],
  start: number,
  lines: readonly string[],
): { entries: ListEntry[]; next: number } {
  const open = tokens[start];
  const ordered = open?.type === 'ordered_list_open';
  const entries: ListEntry[] = [];
  let i = start + 1;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!token || token.type === 'bullet_list_close' || token.type === 'ordered_list_close') break;
    if (token.type !== 'list_item_open') {
      i++;
      continue;
    }
    const read = readItem(tokens, i, lines, ordered);
    entries.push(read.entry);
    i = read.next;
  }
  return { entries, next: i + 1 };
}

/** One list item: its first paragraph is its text, nested lists its children, every other block a note. */
function readItem(
  tokens: readonly Token[],
  start: number,
  lines: readonly string[],
  ordered: boolean,
): { entry: ListEntry; next: number } {
  const item = tokens[start];
  const level = item?.level ?? 0;
  const line = (item?.map?.[0] ?? 0) + 1;
  const end = Math.max(line, item?.map?.[1] ?? line);
  let inline: Token | undefined;
  let code: string | undefined;
  const children: ListEntry[] = [];
  const notes: string[] = [];
  let i = start + 1;
  // True while the item's last block is a nested list: a list right after it continues it (see `renest`).
  let listOpen = false;
  while (i < tokens.length && !(tokens[i]?.type === 'list_item_close' && tokens[i]?.level === level)) {
    const token = tokens[i];
    if (!token || token.level !== level + 1) {
      i++;
      continue;
    }
    if (isListOpen(token)) {
      const nested = parseList(tokens, i, lines);
      renest(children, nested.entries, listOpen);
      listOpen = true;
      i = nested.next;
      continue;
    }
    listOpen = false;
    const first = inline === undefined && notes.length === 0 && children.length === 0;
    if (token.type === 'paragraph_open' && first) inline = tokens[i + 1];
    else if (token.type !== 'html_comment' && token.map) {
      if ((token.type === 'fence' || token.type === 'code_block') && code === undefined) {
        code = token.content
          .split('\n')
          .find((text) => text.trim() !== '')
          ?.trim();
      }
      notes.push(rawLines(lines, token.map[0] + 1, token.map[1]));
    }
    i = skipBlock(tokens, i);
  }
  const { checkbox, rest } = splitCheckbox(inlineSource(inline));
  const plainAll = tokensText(inline?.children ?? []);
  const plain = checkbox === null ? plainAll : plainAll.replace(/^\s*\[[ xX]\]\s*/, '');
  const text = lines[line - 1] ?? '';
  const entry: ListEntry = {
    line,
    end,
    text,
    indent: indentOf(text),
    ordered,
    checkbox,
    content: rest,
    plain,
    children,
    notes: notes.filter((note) => note !== ''),
    code,
    step: false,
  };
  return { entry, next: i + 1 };
}

/** Every list entry of a list of entries, depth first. */
export function* walkEntries(entries: readonly ListEntry[]): Generator<ListEntry> {
  for (const entry of entries) {
    yield entry;
    yield* walkEntries(entry.children);
  }
}

/** True when an entry or one of its descendants carries a task checkbox. */
export function hasCheckbox(entry: ListEntry): boolean {
  for (const e of walkEntries([entry])) if (e.checkbox !== null) return true;
  return false;
}

/** The entry and its last descendants, outermost first: where a following, more indented list continues. */
function lastPath(entry: ListEntry): ListEntry[] {
  const path = [entry];
  for (let last = entry.children.at(-1); last; last = last.children.at(-1)) path.push(last);
  return path;
}

/**
 * Nests list entries the way they are laid out when CommonMark reads them as siblings or as separate lists: an
 * entry whose marker sits at least two columns right of an earlier entry's ("1. Step" then "  - detail", or a list
 * resumed after a column-0 code fence) is that entry's child. With `continues`, `next` carries on the last list of
 * `into`; otherwise it starts afresh (after a paragraph, say).
 */
export function renest(into: ListEntry[], next: readonly ListEntry[], continues: boolean): void {
  const last = into[into.length - 1];
  let path = continues && last ? lastPath(last) : [];
  for (const entry of next) {
    while (path.length > 0 && (path[path.length - 1]?.indent ?? 0) + 2 > entry.indent) path.pop();
    const parent = path[path.length - 1];
    if (parent) parent.children.push(entry);
    else into.push(entry);
    path = [...path, ...lastPath(entry)];
  }
}

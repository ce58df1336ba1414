// The shape of a Markdown checklist as the importer needs it: headings, paragraphs, horizontal rules and (nested)
// list entries with their task checkboxes and 1-based line numbers, read from markdown-it's CommonMark tokens.

import type { Token } from 'markdown-it';
import MarkdownIt from 'markdown-it';
import { htmlComments, withoutComments } from './comments.ts';
import { cleanDisplayText } from './text.ts';

// Raw HTML is off so a threshold such as "<200ms" or a placeholder such as "<VERSION>" is never read as a tag; HTML
// comments are read all the same, and are never text.
const markdown = new MarkdownIt('commonmark', { html: false }).use(htmlComments);

/** One list item. `content` is its first paragraph's inline Markdown, without the checkbox. */
export interface ListEntry {
  readonly line: number;
  /** The item's first source line, exactly as written. */
  readonly text: string;
  readonly ordered: boolean;
  /** `open` for `[ ]`, `done` for `[x]`, null for a plain list item. */
  readonly checkbox: 'open' | 'done' | null;
  readonly content: string;
  readonly children: readonly ListEntry[];
}

export type Block =
  | { readonly kind: 'list'; readonly start: number; readonly end: number; readonly entries: readonly ListEntry[] }
  | { readonly kind: 'paragraph'; readonly start: number; readonly end: number; readonly content: string }
  | { readonly kind: 'other'; readonly start: number; readonly end: number };

export interface Heading {
  readonly level: number;
  readonly line: number;
  readonly text: string;
  /** Inline Markdown of the heading. */
  readonly content: string;
  /** Plain display title (emoji and their mojibake removed). */
  readonly title: string;
}

export type OutlineNode =
  | { readonly kind: 'heading'; readonly heading: Heading }
  | { readonly kind: 'break'; readonly line: number }
  | { readonly kind: 'block'; readonly block: Block };

export interface Outline {
  /** Source lines without line terminators; `lines[n - 1]` is line n. */
  readonly lines: readonly string[];
  readonly nodes: readonly OutlineNode[];
}

const checkboxPattern = /^\[([ xX])\](?:[ \t]+|$)/;

/** The task checkbox at the start of a list item's inline content, and the content after it. */
export function splitCheckbox(content: string): { checkbox: 'open' | 'done' | null; rest: string } {
  const match = checkboxPattern.exec(content);
  if (!match) return { checkbox: null, rest: content };
  return { checkbox: match[1] === ' ' ? 'open' : 'done', rest: content.slice(match[0].length) };
}

/**
 * Plain text of inline Markdown: emphasis and code markers dropped, link text kept (without its target), line breaks
 * as spaces. Not cleaned of emoji: see `displayText`.
 */
export function inlineText(content: string): string {
  const [inline] = markdown.parseInline(content, {});
  if (!inline?.children) return content;
  return inline.children.map(tokenText).join('');
}

function tokenText(token: Token): string {
  switch (token.type) {
    case 'text':
    case 'text_special':
    case 'code_inline':
    case 'html_inline':
      return token.content;
    case 'softbreak':
    case 'hardbreak':
      return ' ';
    case 'image':
      return (token.children ?? []).map(tokenText).join('');
    default:
      return '';
  }
}

/** Inline Markdown as a person should read it: plain text, emoji and emoji mojibake removed, spaces collapsed. */
export function displayText(content: string): string {
  return cleanDisplayText(inlineText(content));
}

/** The inline Markdown of an inline token, without its comments. */
const inlineContent = (token: Token | undefined): string =>
  token ? withoutComments(token.content, token.children ?? []) : '';

/** Reads the list opening at `tokens[start]`, nested lists included; `next` is the index after its close. */
function parseList(
  tokens: readonly Token[],
  start: number,
  lineText: (line: number) => string,
): { entries: ListEntry[]; next: number } {
  const open = tokens[start];
  const ordered = open?.type === 'ordered_list_open';
  const entries: ListEntry[] = [];
  let i = start + 1;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!token || token.type === 'bullet_list_close' || token.type === 'ordered_list_close') {
      return { entries, next: i + 1 };
    }
    if (token.type !== 'list_item_open') {
      i++;
      continue;
    }
    const line = (token.map?.[0] ?? 0) + 1;
    let content = '';
    let contentSeen = false;
    const children: ListEntry[] = [];
    i++;
    while (i < tokens.length && tokens[i]?.type !== 'list_item_close') {
      const inner = tokens[i];
      if (inner?.type === 'bullet_list_open' || inner?.type === 'ordered_list_open') {
        const nested = parseList(tokens, i, lineText);
        children.push(...nested.entries);
        i = nested.next;
        continue;
      }
      // Only the item's first paragraph is its text; later paragraphs are commentary.
      if (inner?.type === 'inline' && !contentSeen) {
        content = inlineContent(inner);
        contentSeen = true;
      }
      i++;
    }
    i++;
    const { checkbox, rest } = splitCheckbox(content);
    entries.push({ line, text: lineText(line), ordered, checkbox, content: rest, children });
  }
  return { entries, next: i };
}

/** Parses a checklist into an outline. Line numbers come from the tokens' `map`, so they match the source exactly. */
export function parseOutline(source: string): Outline {
  const lines = source.split('\n').map((line) => line.replace(/\r$/, ''));
  const tokens = markdown.parse(source, {});
  const nodes: OutlineNode[] = [];
  const lineText = (line: number): string => lines[line - 1] ?? '';

  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!token) break;
    const start = (token.map?.[0] ?? 0) + 1;
    const end = token.map?.[1] ?? start;
    if (token.type === 'heading_open') {
      const content = inlineContent(tokens[i + 1]);
      const level = Number(token.tag.slice(1));
      nodes.push({
        kind: 'heading',
        heading: { level, line: start, text: lineText(start), content, title: displayText(content) },
      });
      i += 3;
    } else if (token.type === 'hr') {
      nodes.push({ kind: 'break', line: start });
      i++;
    } else if (token.type === 'bullet_list_open' || token.type === 'ordered_list_open') {
      const { entries, next } = parseList(tokens, i, lineText);
      nodes.push({ kind: 'block', block: { kind: 'list', start, end, entries } });
      i = next;
    } else if (token.type === 'paragraph_open') {
      nodes.push({ kind: 'block', block: { kind: 'paragraph', start, end, content: inlineContent(tokens[i + 1]) } });
      i += 3;
    } else if (token.nesting === 1 && token.level === 0) {
      // A container we do not read into (blockquote, …): skip to its matching close.
      const depth = token.level;
      let j = i + 1;
      while (j < tokens.length && !(tokens[j]?.nesting === -1 && tokens[j]?.level === depth)) j++;
      nodes.push({ kind: 'block', block: { kind: 'other', start, end } });
      i = j + 1;
    } else {
      if (token.map && token.nesting === 0) nodes.push({ kind: 'block', block: { kind: 'other', start, end } });
      i++;
    }
  }
  return { lines, nodes };
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

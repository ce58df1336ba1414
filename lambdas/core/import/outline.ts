// The shape of a Markdown checklist as the importer needs it: front matter, headings (bold-paragraph titles
// included), paragraphs, thematic breaks, other blocks and (nested) list entries with 1-based line numbers, read from
// markdown-it's CommonMark + GFM tokens. Never a regex over the document's lines.
import type { Token } from 'markdown-it';
import MarkdownIt from 'markdown-it';
import { htmlComments } from './comments.ts';
import { detailsBlocks } from './details.ts';
import { type ListEntry, parseList, rawLines, skipBlock } from './entries.ts';
import { type FrontMatter, frontMatter } from './front-matter.ts';
import { inlineDisplay, inlineSource, tokensText } from './inline.ts';
import type { ImportWarning } from './report.ts';
import { cleanDisplayText } from './text.ts';

export { hasCheckbox, type ListEntry, splitCheckbox, walkEntries } from './entries.ts';

// Raw HTML is off so a threshold such as "<200ms" or a placeholder such as "<VERSION>" is never read as a tag; HTML
// comments, `<details>` blocks and front matter are read by rules of their own. GFM tables and strikethrough are on.
const markdown = new MarkdownIt('commonmark', { html: false })
  .enable(['table', 'strikethrough'])
  .use(frontMatter)
  .use(htmlComments)
  .use(detailsBlocks);

/** A level for a bold paragraph used as a title ("**Before release**:"): below every real heading. */
export const BOLD_TITLE_LEVEL = 7;

export type Block =
  | { readonly kind: 'list'; readonly start: number; readonly end: number; readonly entries: ListEntry[] }
  | {
      readonly kind: 'paragraph';
      readonly start: number;
      readonly end: number;
      readonly content: string;
      readonly plain: string;
    }
  | { readonly kind: 'other'; readonly start: number; readonly end: number; readonly what: string };

export interface Heading {
  /** 1 to 6, or BOLD_TITLE_LEVEL for a bold paragraph standing as a title. */
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
  readonly frontMatter: FrontMatter | undefined;
  readonly warnings: ImportWarning[];
}

/** Plain text of inline Markdown (links kept as their text), not cleaned of emoji: see `displayText`. */
export function inlineText(content: string): string {
  const [inline] = markdown.parseInline(content, {});
  return inline?.children ? tokensText(inline.children) : content;
}

/** Inline Markdown as a person should read it: plain text, emoji and emoji mojibake removed, spaces collapsed. */
export function displayText(content: string): string {
  return cleanDisplayText(inlineText(content));
}

/**
 * A paragraph of one line that is only bold text, optionally with a colon ("**Before release**:"): checklists without
 * headings title their sections so. Returns the title, or undefined.
 */
function boldTitle(inline: Token | undefined, lineCount: number): string | undefined {
  const children = (inline?.children ?? []).filter((t) => !(t.type === 'text' && t.content.trim() === ''));
  const [open] = children;
  const closeAt = children.findIndex((t) => t.type === 'strong_close' && t.level === open?.level);
  if (lineCount !== 1 || open?.type !== 'strong_open' || closeAt < 1) return undefined;
  const tail = children.slice(closeAt + 1);
  if (tail.length > 1 || (tail[0] && !(tail[0].type === 'text' && /^\s*:\s*$/.test(tail[0].content)))) {
    return undefined;
  }
  const title = cleanDisplayText(tokensText(children.slice(1, closeAt))).replace(/\s*:$/, '');
  return title === '' ? undefined : title;
}

/** A block comment that hid list items or headings: the author may not know they are not imported. */
function commentWarning(token: Token): ImportWarning | undefined {
  const inner = token.content.replace(/^\s*<!--/, '').replace(/-->\s*$/, '');
  const tokens = markdown.parse(inner, {});
  const items = tokens.filter((t) => t.type === 'list_item_open').length;
  const headings = tokens.filter((t) => t.type === 'heading_open').length;
  if (items + headings === 0) return undefined;
  const what = [items > 0 ? `${items} list item(s)` : '', headings > 0 ? `${headings} heading(s)` : '']
    .filter(Boolean)
    .join(' and ');
  return { line: (token.map?.[0] ?? 0) + 1, message: `inside an HTML comment, not imported (${what})` };
}

/** Parses a checklist into an outline. Line numbers come from the tokens' `map`, so they match the source exactly. */
export function parseOutline(source: string): Outline {
  const lines = source.split('\n').map((line) => line.replace(/\r$/, ''));
  const tokens = markdown.parse(source, {});
  const nodes: OutlineNode[] = [];
  const warnings: ImportWarning[] = [];
  let front: FrontMatter | undefined;
  const lineText = (line: number): string => lines[line - 1] ?? '';

  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!token) break;
    const start = (token.map?.[0] ?? 0) + 1;
    const end = Math.max(start, token.map?.[1] ?? start);
    if (token.type === 'front_matter') {
      front = (token.meta as { frontMatter?: FrontMatter } | null)?.frontMatter;
    } else if (token.type === 'heading_open') {
      const content = inlineSource(tokens[i + 1]);
      const heading = { level: Number(token.tag.slice(1)), line: start, text: lineText(start), content };
      // A heading of only emoji or markup still names its section.
      const title = inlineDisplay(tokens[i + 1]) || cleanDisplayText(content) || `Line ${start}`;
      nodes.push({ kind: 'heading', heading: { ...heading, title } });
    } else if (token.type === 'hr') {
      nodes.push({ kind: 'break', line: start });
    } else if (token.type === 'bullet_list_open' || token.type === 'ordered_list_open') {
      const { entries, next } = parseList(tokens, i, lines);
      nodes.push({ kind: 'block', block: { kind: 'list', start, end, entries } });
      i = next;
      continue;
    } else if (token.type === 'paragraph_open') {
      const inline = tokens[i + 1];
      const title = boldTitle(inline, end - start + 1);
      const content = inlineSource(inline);
      if (title !== undefined) {
        const heading = { level: BOLD_TITLE_LEVEL, line: start, text: lineText(start), content, title };
        nodes.push({ kind: 'heading', heading });
      } else {
        const plain = tokensText(inline?.children ?? []);
        nodes.push({ kind: 'block', block: { kind: 'paragraph', start, end, content, plain } });
      }
    } else if (token.type === 'html_comment') {
      const warning = commentWarning(token);
      if (warning) warnings.push(warning);
    } else if (token.map && token.level === 0) {
      // Code, quotes, tables, `<details>`: never steps; document.ts attaches them to the step they follow.
      nodes.push({ kind: 'block', block: { kind: 'other', start, end, what: token.type.replace(/_open$/, '') } });
    }
    i = skipBlock(tokens, i);
  }
  return { lines, nodes, frontMatter: front, warnings };
}

/** The Markdown of a block as written, without its common indentation. */
export function blockMarkdown(lines: readonly string[], block: Block): string {
  return rawLines(lines, block.start, block.end);
}

// HTML comments as markdown-it reads them with raw HTML off: a comment is never text. A block comment (CommonMark's
// HTML block of kind 2: a line starting `<!--`, up to the line holding `-->`) becomes one `html_comment` token, so
// nothing commented out (tasks, headings, whole sections) is a step, a section or a title; an inline comment becomes
// an `html_comment_inline` token holding its exact source, which readers drop from the inline content.
import type { MarkdownIt, StateBlock, StateInline } from 'markdown-it';

const OPEN = '<!--';
const CLOSE = '-->';

function commentBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const start = (state.bMarks[startLine] ?? 0) + (state.tShift[startLine] ?? 0);
  // Indented four or more, it is code, not a comment.
  if ((state.sCount[startLine] ?? 0) - state.blkIndent >= 4) return false;
  if (!state.src.startsWith(OPEN, start)) return false;
  if (silent) return true;
  let line = startLine;
  let from = start + OPEN.length;
  // An unclosed comment runs to the end of its container, as CommonMark says.
  while (line < endLine && !state.src.slice(from, state.eMarks[line] ?? state.src.length).includes(CLOSE)) {
    line += 1;
    from = state.bMarks[line] ?? state.src.length;
  }
  state.line = Math.min(line + 1, endLine);
  const token = state.push('html_comment', '', 0);
  token.map = [startLine, state.line];
  token.block = true;
  token.content = state.getLines(startLine, state.line, state.blkIndent, true);
  return true;
}

function commentInline(state: StateInline, silent: boolean): boolean {
  if (!state.src.startsWith(OPEN, state.pos)) return false;
  const close = state.src.indexOf(CLOSE, state.pos + OPEN.length);
  if (close < 0) return false;
  const end = close + CLOSE.length;
  if (!silent) state.push('html_comment_inline', '', 0).content = state.src.slice(state.pos, end);
  state.pos = end;
  return true;
}

/** The markdown-it plugin: block and inline comments, read before anything else could read them as text. */
export function htmlComments(md: MarkdownIt): void {
  md.block.ruler.before('html_block', 'html_comment', commentBlock, {
    alt: ['paragraph', 'reference', 'blockquote'],
  });
  md.inline.ruler.before('html_inline', 'html_comment_inline', commentInline);
}

/** Inline Markdown without the inline comments its token holds, spaces around them collapsed. */
export function withoutComments(content: string, children: readonly { type: string; content: string }[]): string {
  let out = content;
  for (const child of children) if (child.type === 'html_comment_inline') out = out.replace(child.content, ' ');
  return out === content ? content : out.replace(/[ \t]{2,}/g, ' ').trim();
}

// `<details>` blocks as markdown-it reads them with raw HTML off: one block, from the opening tag to its matching
// `</details>`, kept as the description of the step it belongs to and never read as steps, headings or titles.
import type { MarkdownIt, StateBlock } from 'markdown-it';

const OPEN = /<details(?=[\s>]|$)/gi;
const CLOSE = /<\/details\s*>/gi;

const count = (pattern: RegExp, text: string): number => text.match(pattern)?.length ?? 0;

function detailsBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  // Indented four or more, it is code.
  if ((state.sCount[startLine] ?? 0) - state.blkIndent >= 4) return false;
  const lineText = (line: number): string =>
    state.src.slice((state.bMarks[line] ?? 0) + (state.tShift[line] ?? 0), state.eMarks[line] ?? 0);
  if (!/^<details(?=[\s>]|$)/i.test(lineText(startLine))) return false;
  if (silent) return true;
  let depth = 0;
  let line = startLine;
  let closed = false;
  for (; line < endLine; line++) {
    const text = lineText(line);
    // Inside a list item, a line indented less than the item ends it (as for any block of the item).
    if (line > startLine && text.trim() !== '' && (state.sCount[line] ?? 0) < state.blkIndent) break;
    depth += count(OPEN, text) - count(CLOSE, text);
    if (depth <= 0) {
      closed = true;
      line += 1;
      break;
    }
  }
  if (!closed) {
    // Never closed: like CommonMark's HTML block, it ends at the first blank line, so no step below is lost.
    line = startLine + 1;
    while (line < endLine && !state.isEmpty(line)) line++;
  }
  const token = state.push('details_block', '', 0);
  token.map = [startLine, line];
  token.block = true;
  token.content = state.getLines(startLine, line, state.blkIndent, true);
  state.line = line;
  return true;
}

/** The markdown-it plugin: a `<details>` block interrupts a paragraph, as an HTML block would. */
export function detailsBlocks(md: MarkdownIt): void {
  md.block.ruler.before('html_block', 'details_block', detailsBlock, { alt: ['paragraph', 'reference', 'blockquote'] });
}

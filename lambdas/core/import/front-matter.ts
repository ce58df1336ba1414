// YAML front matter (GitHub issue templates: `name`, `about`, `title`, `labels`, `assignees`) as a markdown-it block
// rule: the fenced header at the very top of a document is read as metadata and is never text, a heading or a step.
import type { MarkdownIt, StateBlock } from 'markdown-it';
import { parseDocument } from 'yaml';

/** What a front matter block holds: its scalar facts as strings, or why its YAML could not be read. */
export interface FrontMatter {
  readonly data: Readonly<Record<string, string>>;
  readonly error?: string | undefined;
}

const lineAt = (state: StateBlock, line: number): string =>
  state.src.slice((state.bMarks[line] ?? 0) + (state.tShift[line] ?? 0), state.eMarks[line] ?? 0).trimEnd();

/** A YAML value as one metadata string: lists joined with commas, nested maps as JSON, empty values dropped. */
function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const parts = value.map(asText).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/**
 * Reads the YAML between the fences. Returns undefined when it is not front matter at all (a thematic break that
 * happens to open the document): YAML that parses to something other than a mapping, and does not even start like one.
 */
export function readFrontMatter(yaml: string): FrontMatter | undefined {
  const looksLikeMapping = /^\s*[\w"' -]+:/.test(yaml.split('\n').find((line) => line.trim() !== '') ?? 'x:');
  try {
    const document = parseDocument(yaml, { logLevel: 'silent', uniqueKeys: false });
    const [error] = document.errors;
    if (error) return looksLikeMapping ? { data: {}, error: error.message.split('\n')[0] } : undefined;
    const value: unknown = document.toJS({ maxAliasCount: 50 });
    if (value === null || value === undefined) return { data: {} };
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    const data: Record<string, string> = {};
    for (const [key, raw] of Object.entries(value)) {
      const text = asText(raw);
      if (text !== undefined && key.trim() !== '') data[key.trim()] = text;
    }
    return { data };
  } catch (error) {
    return looksLikeMapping ? { data: {}, error: error instanceof Error ? error.message : String(error) } : undefined;
  }
}

function frontMatterBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  // Only the document's first line can open front matter, and only a line that is exactly `---`.
  if (startLine !== 0 || state.level !== 0 || state.blkIndent !== 0 || lineAt(state, 0) !== '---') return false;
  let close = 1;
  while (close < endLine && !['---', '...'].includes(lineAt(state, close))) close += 1;
  // Never closed: a thematic break, not front matter (else one stray `---` would swallow the whole checklist).
  if (close >= endLine) return false;
  const yaml = state.getLines(1, close, 0, false);
  const frontMatter = readFrontMatter(yaml);
  if (!frontMatter) return false;
  if (silent) return true;
  const token = state.push('front_matter', '', 0);
  token.map = [0, close + 1];
  token.block = true;
  token.content = yaml;
  token.meta = { frontMatter };
  state.line = close + 1;
  return true;
}

/** The markdown-it plugin: front matter is read before a thematic break or setext heading could claim its fences. */
export function frontMatter(md: MarkdownIt): void {
  md.block.ruler.before('hr', 'front_matter', frontMatterBlock);
}

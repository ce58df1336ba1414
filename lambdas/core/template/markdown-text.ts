// Text to Markdown for the checklist exports: escaping that reads back as the same plain text and never as structure.

/** Letters and digits on both sides: an underscore there can neither open nor close emphasis (CommonMark). */
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * Plain text as inline Markdown that displays (and imports) as exactly that text, on one line. Newlines collapse
 * to spaces, so no text can start a line of its own (a heading, a list item, a checkbox); every character that could
 * open an inline construct (emphasis, code, link, autolink, HTML comment, entity, heading closer) is backslash-escaped.
 * A `<` opens something only before a letter, `!`, `/` or `?` (raw HTML is off), so "<200ms" stays as written.
 * Parentheses stay as written: without an unescaped `]` they open nothing, and "(optional)" must stay readable.
 */
export function inline(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat
    .replace(/[\\`*[\]]/g, '\\$&')
    .replace(/<(?=[a-z!/?])/gi, '\\<')
    .replace(/_/g, (underscore, offset: number, whole: string) =>
      WORD_CHAR.test(whole.charAt(offset - 1)) && WORD_CHAR.test(whole.charAt(offset + 1)) ? underscore : '\\_',
    )
    .replace(/&(?=#?[a-z0-9]+;)/gi, '\\&')
    .replace(/(^|\s)#/g, '$1\\#');
}

/**
 * Plain text as a paragraph of its own: `inline`, and a first character that would make the line a block construct
 * (list marker, block quote, setext underline, ordered-list number) escaped too.
 */
export function paragraph(text: string): string {
  return inline(text)
    .replace(/^([-+=>|~])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** An evidence link: an autolink for a plain http(s) URL, else the URL as escaped text (never a live construct). */
export function link(url: string): string {
  const trimmed = url.trim();
  return /^https?:\/\/[^\s<>]+$/i.test(trimmed) ? `<${trimmed}>` : inline(trimmed);
}

/** A quoted user comment or note. */
export const quoted = (text: string): string => `“${inline(text)}”`;

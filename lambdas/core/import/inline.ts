// Plain text of markdown-it inline tokens: what a title says, with links resolved and placeholders kept as written.
import type { Token } from 'markdown-it';
import { withoutComments } from './comments.ts';
import { cleanDisplayText } from './text.ts';

/** A run like `__RELEASE_ISSUE__` or `_VERSION_` is a placeholder the author types over, not emphasis. */
const PLACEHOLDER = /^[A-Z0-9][A-Z0-9_.-]*$/;

/**
 * Plain text of inline tokens: emphasis and code markers dropped, link text kept (reference links resolved by the
 * parse that made the tokens), autolinks and bare URLs as written, line breaks as spaces, comments dropped.
 * Underscore emphasis around an upper-case identifier keeps its underscores: it is a placeholder.
 */
export function tokensText(children: readonly Token[]): string {
  let out = '';
  for (let i = 0; i < children.length; i++) {
    const token = children[i];
    if (!token) continue;
    if ((token.type === 'strong_open' || token.type === 'em_open') && token.markup.startsWith('_')) {
      const inner = children[i + 1];
      const close = children[i + 2];
      if (inner?.type === 'text' && close?.nesting === -1 && PLACEHOLDER.test(inner.content)) {
        out += `${token.markup}${inner.content}${token.markup}`;
        i += 2;
        continue;
      }
    }
    out += tokenText(token);
  }
  return out;
}

function tokenText(token: Token): string {
  switch (token.type) {
    case 'text':
    case 'text_special':
    case 'code_inline':
      return token.content;
    case 'softbreak':
    case 'hardbreak':
      return ' ';
    case 'image':
      return tokensText(token.children ?? []);
    default:
      return '';
  }
}

/** Inline Markdown source of an inline token, without the inline comments it holds. */
export function inlineSource(token: Token | undefined): string {
  return token ? withoutComments(token.content, token.children ?? []) : '';
}

/** Plain display text of an inline token: see `tokensText`, then emoji removed and spaces collapsed. */
export function inlineDisplay(token: Token | undefined): string {
  return cleanDisplayText(tokensText(token?.children ?? []));
}

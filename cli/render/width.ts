// How many terminal columns a text takes, for aligning tables and bars (used by cli/output.ts and the renderers).
import { stripVTControlCharacters } from 'node:util';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** A character shown as a picture (🚀, ✅, a flag), or text made a picture by U+FE0F (✔️). */
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;
/** What takes no column: combining marks, joiners, variation selectors, other format characters. */
const INVISIBLE = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;

/** East Asian wide and fullwidth characters: Hangul, CJK, kana, fullwidth forms. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/**
 * The columns a terminal gives `text` (colour codes not counted): an emoji or a CJK character takes two, a
 * combining accent none. `length` counts UTF-16 units, which is right for neither ✅ (one unit, two columns) nor
 * 日本 (two units, four columns).
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(stripVTControlCharacters(text))) {
    if (INVISIBLE.test(segment)) continue;
    width += EMOJI.test(segment) || isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
  }
  return width;
}

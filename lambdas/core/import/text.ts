// Text helpers for the checklist importer: display titles free of emoji (and of emoji mojibake), and slugs.

/**
 * Checklists are often copied through tools that decode UTF-8 as Mac OS Roman or Windows-1252, turning "📋" into
 * "üìã" and "✅" into "‚úÖ" or "âœ…". For each such legacy encoding, a table from character back to byte lets a
 * run of non-ASCII characters be re-encoded and tested as UTF-8. WHATWG decoders build the tables, so no 256-entry
 * table is written out by hand.
 */
const legacyEncodings: readonly ReadonlyMap<string, number>[] = ['macintosh', 'windows-1252'].flatMap((label) => {
  try {
    const decoded = new TextDecoder(label).decode(Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i));
    const table = new Map<string, number>();
    Array.from(decoded).forEach((char, i) => {
      table.set(char, 0x80 + i);
    });
    return table.size === 128 ? [table] : [];
  } catch {
    // A runtime without full ICU lacks these decoders; titles then keep the mojibake rather than failing import.
    return [];
  }
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Code points that only decorate: emoji, their modifiers and joiners, variation selectors, keycaps. */
const decoration =
  /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Emoji_Modifier}|\uFE0E|\uFE0F|\u200D|\u20E3/gu;

function isDecorationOnly(text: string): boolean {
  return text.length > 0 && text.replace(decoration, '').replace(/\p{Extended_Pictographic}|\p{So}/gu, '') === '';
}

/**
 * Restores emoji that were mangled into mojibake, leaving every other character alone. A run of non-ASCII characters
 * is replaced only when, read back as bytes of a legacy encoding, it is valid UTF-8 made only of emoji or symbols, so
 * real accented words ("Müller") are never touched.
 */
export function repairEmojiMojibake(text: string): string {
  return text.replace(/[^\p{ASCII}]+/gu, (run) => {
    for (const table of legacyEncodings) {
      const bytes: number[] = [];
      for (const char of run) {
        const byte = table.get(char);
        if (byte === undefined) break;
        bytes.push(byte);
      }
      if (bytes.length !== Array.from(run).length) continue;
      try {
        const decoded = utf8.decode(Uint8Array.from(bytes));
        if (isDecorationOnly(decoded)) return decoded;
      } catch {
        // Not UTF-8 under this encoding: try the next one.
      }
    }
    return run;
  });
}

/** Collapses runs of whitespace to one space and trims. */
export function collapseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The text a person should see: emoji mojibake repaired, then every emoji removed (they decorate headings and
 * line ends in the checklists and carry no meaning a gate could use), whitespace collapsed.
 */
export function cleanDisplayText(text: string): string {
  return collapseSpace(repairEmojiMojibake(text).replace(decoration, ' '));
}

/**
 * A lowercase slug (`a-z`, `0-9`, single hyphens) of at most `maxLength` characters, cut at a word boundary.
 * Accents are folded ("é" -> "e"); everything else that is not a letter or digit separates words.
 */
export function slugify(text: string, fallback = 'item', maxLength = 80): string {
  const slug = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return fallback;
  if (slug.length <= maxLength) return slug;
  const cut = slug.slice(0, maxLength);
  const lastHyphen = cut.lastIndexOf('-');
  return (lastHyphen > 0 ? cut.slice(0, lastHyphen) : cut).replace(/-+$/, '');
}

/**
 * Hands out slugs unique within one namespace: the first use of a base keeps it, later ones get `-2`, `-3`, … in the
 * order they are asked for, so the same document always yields the same ids.
 */
export function uniqueSlugs(): (base: string) => string {
  const taken = new Set<string>();
  return (base) => {
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}-${n}`;
    taken.add(candidate);
    return candidate;
  };
}

// Turns a Markdown release checklist into a Template. Generic: the meaning of each part is read from headings,
// list structure and keywords (see docs/templates.md), never from the file's name.

import { Template } from '../template/template.ts';
import { assembleTemplate, checkEveryCheckboxOnce } from './assemble.ts';
import { readSuccessMetrics } from './conditions.ts';
import { regionHasCheckbox, regionsOf, structure, type TopNode } from './document.ts';
import { placeSignoffs } from './gates.ts';
import { type HeadingRole, headingRole } from './heuristics.ts';
import { readInfo, readLooseBlocks } from './info.ts';
import { readPhase } from './phases.ts';
import { readRollback } from './rollback.ts';
import { readSignoffs } from './signoffs.ts';
import { createState, type ImportState } from './state.ts';

export { DEFAULT_ESCALATION_INTERVAL_MINUTES } from './state.ts';

export interface ImportOptions {
  /** Template id (a slug), e.g. `toolboxai-v1`. */
  id: string;
  /** File the Markdown came from, recorded on the template. */
  sourceFile: string;
}

/**
 * Imports a Markdown release checklist as a template. Pure: the caller reads the file.
 * @throws Error when the document has no heading to form a phase from, no checklist phase, or a checkbox line the
 *   template has no place for (every checkbox line becomes exactly one item or one recorded mapping).
 */
export function importChecklist(markdown: string, options: ImportOptions): Template {
  try {
    return importStructured(markdown, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot import checklist ${options.sourceFile} as template ${options.id}: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * Walks the top-level headings in document order, each construct's reader adding to one ImportState: phases
 * (phases.ts), sign-offs (signoffs.ts), the rollback plan (rollback.ts), success metrics (conditions.ts) and text
 * without checkboxes (info.ts). Sign-offs join their gates only once every phase is known (gates.ts), since a
 * sign-off section may come before the phase it gates; then the template is assembled and checked (assemble.ts).
 */
function importStructured(markdown: string, options: ImportOptions): Template {
  const { lines, title, nodes, loose, allEntries } = structure(markdown);
  const state = createState(lines);
  for (const node of nodes) readTopNode(state, node);
  readLooseBlocks(state, loose);
  if (state.phases.length === 0) throw new Error('no checklist phase found (no heading with checkbox items)');

  const groupRefs = placeSignoffs(state);
  const template = assembleTemplate(state, groupRefs, {
    id: options.id,
    name: title?.title || options.id,
    sourceFile: options.sourceFile,
  });
  checkEveryCheckboxOnce(template, allEntries);
  return Template.parse(template);
}

/** Hands a top-level heading to the reader of what its keywords make it; a heading without checkboxes is information. */
function readTopNode(state: ImportState, node: TopNode): void {
  const role: HeadingRole | undefined = headingRole(node.heading.title);
  const regions = regionsOf(node);
  if (role === 'signoff') readSignoffs(state, node);
  else if (role === 'rollback') readRollback(state, node);
  else if (role === 'success-metrics') readSuccessMetrics(state, node);
  else if (!regions.some(regionHasCheckbox)) {
    for (const region of regions) readInfo(state, region, region.heading?.title ?? node.heading.title);
  } else {
    // A checklist heading without a phase keyword is preparation until a deployment phase has been seen.
    const kind = role ?? (state.phases.some((p) => p.kind === 'deployment') ? 'monitoring' : 'pre-release');
    readPhase(state, node, kind);
  }
}

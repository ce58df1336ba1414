// Turns a Markdown release checklist into a Template. Generic: the meaning of each part is read from headings,
// list structure and keywords (see docs/templates.md), never from the file's name.

import { ValidationFailed } from '../errors.ts';
import { Template } from '../template/template.ts';
import { assembleTemplate, checkEveryStepOnce } from './assemble.ts';
import { readSuccessMetrics } from './conditions.ts';
import { type ChecklistDocument, regionHasSteps, regionsOf, structure, type TopNode } from './document.ts';
import { placeSignoffs } from './gates.ts';
import { type HeadingRole, headingRole } from './heuristics.ts';
import { readInfo, readLooseBlocks } from './info.ts';
import { readPhase } from './phases.ts';
import { type ImportReport, templateReport } from './report.ts';
import { readRollback } from './rollback.ts';
import { readSignoffs } from './signoffs.ts';
import { createState, type ImportState } from './state.ts';
import { markSteps } from './steps.ts';
import { importWarnings } from './warnings.ts';

export type { ImportReport, ImportWarning } from './report.ts';
export { DEFAULT_ESCALATION_INTERVAL_MINUTES } from './state.ts';

export interface ImportOptions {
  /** Template id (a slug), e.g. `toolboxai-v1`. */
  id: string;
  /** File the Markdown came from, recorded on the template. */
  sourceFile: string;
}

/** The refusal for a document with nothing to run: the only document the importer turns down. */
const NO_STEP =
  'holds no step: write at least one list item or numbered step (lists under headings such as "Notes", "Resources" ' +
  'or "Contacts" are read as information)';

/**
 * Imports a Markdown release checklist as a template. Pure: the caller reads the file.
 * @throws ValidationFailed (field `body`) when the document holds no step; never any other error.
 */
export function importChecklist(markdown: string, options: ImportOptions): Template {
  return importChecklistWithReport(markdown, options).template;
}

/**
 * Imports a checklist and reports what became of it: phases, gates and their roles, item counts, and warnings a
 * person can act on (pre-checked tasks, steps hidden in comments, gates no role signs).
 * @throws ValidationFailed (field `body`) when the document holds no step; never any other error.
 */
export function importChecklistWithReport(
  markdown: string,
  options: ImportOptions,
): { template: Template; report: ImportReport } {
  try {
    return importStructured(markdown, options);
  } catch (error) {
    if (error instanceof ValidationFailed) throw error;
    // Every input is either a template or a request to change the document; an unforeseen failure says which line
    // of reasoning gave up, so the author can still act on it.
    const reason = error instanceof Error ? error.message : String(error);
    throw ValidationFailed.field('body', `could not be imported as a template (${reason}); simplify the document`);
  }
}

/**
 * Walks the top-level parts in document order, each construct's reader adding to one ImportState: phases
 * (phases.ts), sign-offs (signoffs.ts), the rollback plan (rollback.ts), success metrics (conditions.ts) and text
 * without steps (info.ts). Sign-offs join their gates only once every phase is known (gates.ts), since a sign-off
 * section may come before the phase it gates; then the template is assembled and checked (assemble.ts).
 */
function importStructured(markdown: string, options: ImportOptions): { template: Template; report: ImportReport } {
  if (typeof markdown !== 'string') throw ValidationFailed.field('body', 'must be Markdown text');
  const document = structure(markdown.replace(/^\uFEFF/, ''));
  markSteps(document);
  const state = createState(document.lines);
  state.warnings.push(...document.warnings);
  readFrontMatter(state, document);
  for (const node of document.nodes) readTopNode(state, node);
  readLooseBlocks(state, document.loose);
  const name = document.title?.title || document.frontMatter?.data.name || document.frontMatter?.data.title;
  if (state.phases.length === 0) {
    if (!holdsSteps(state)) throw ValidationFailed.field('body', NO_STEP);
    // Only sign-offs, a rollback plan or success metrics: they still need a phase to gate.
    state.phases.push({ name: name || 'Release', kind: 'pre-release', sections: [], signoffs: [] });
  }
  const groupRefs = placeSignoffs(state);
  const template = Template.parse(
    assembleTemplate(state, groupRefs, { id: options.id, name: name || options.id, sourceFile: options.sourceFile }),
  );
  checkEveryStepOnce(template, document.allEntries);
  const warnings = [...state.warnings, ...importWarnings(document, template)];
  return { template, report: templateReport(template, warnings) };
}

function holdsSteps(state: ImportState): boolean {
  return (
    state.pendingSignoffs.length > 0 ||
    state.triggers.length > 0 ||
    state.procedure.length > 0 ||
    state.validation.length > 0 ||
    state.successMetrics.length > 0
  );
}

/** Front matter facts are metadata, under their own keys; YAML that cannot be read is reported, never imported. */
function readFrontMatter(state: ImportState, document: ChecklistDocument): void {
  const front = document.frontMatter;
  if (!front) return;
  if (front.error) state.warnings.push({ line: 1, message: `front matter is not valid YAML, skipped: ${front.error}` });
  for (const [key, value] of Object.entries(front.data)) state.metadata[key] = value;
}

/** Hands a top-level part to the reader of what its keywords make it; a part without steps is information. */
function readTopNode(state: ImportState, node: TopNode): void {
  const role: HeadingRole | undefined = node.synthetic ? undefined : headingRole(node.heading.title);
  const regions = regionsOf(node);
  // Only consecutive phase parts join one phase: a sign-off or information part in between keeps them apart.
  if (role === 'signoff' || role === 'rollback' || role === 'success-metrics') state.lastPart = undefined;
  if (role === 'signoff') readSignoffs(state, node);
  else if (role === 'rollback') readRollback(state, node);
  else if (role === 'success-metrics') readSuccessMetrics(state, node);
  else if (!regions.some(regionHasSteps)) {
    state.lastPart = undefined;
    for (const region of regions) readInfo(state, region, region.heading?.title ?? node.heading.title);
  } else {
    // A checklist part without a phase keyword is preparation until a deployment phase has been seen.
    const kind = role ?? (state.phases.some((p) => p.kind === 'deployment') ? 'monitoring' : 'pre-release');
    readPhase(state, node, kind);
  }
}

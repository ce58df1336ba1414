// The use cases of templates: list and read them (any version), import a team's checklist (Markdown) or a template
// document (JSON) as a new version, preview an import without saving it, and archive a template.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound, StaleVersion, ValidationFailed } from '../errors.ts';
import { importChecklistWithReport } from '../import/markdown-import.ts';
import { type ImportReport, templateReport } from '../import/report.ts';
import { slugify } from '../import/text.ts';
import type { TemplateHead } from '../ports.ts';
import { templateMarkdown } from './export.ts';
import {
  documentOf,
  findLatest,
  findVersion,
  latestOf,
  resolveTemplate,
  type TemplateContext,
  type TemplateDocument,
} from './library.ts';
import { type PhaseKind, Slug, Template } from './template.ts';

export interface TemplateSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly version: number;
  readonly builtIn: boolean;
  readonly phases: readonly { readonly id: string; readonly name: string; readonly kind: PhaseKind }[];
  readonly roles: readonly { readonly id: string; readonly label: string }[];
}

/** An import: the checklist (Markdown) or a template document (JSON), and where it goes. */
export interface ImportTemplateInput {
  readonly format: 'markdown' | 'json';
  readonly body: string;
  /** The template id; by default the slug of the document's title. */
  readonly id?: string | undefined;
  /** Answer with the template and the report, save nothing. */
  readonly dryRun?: boolean | undefined;
}

/** What an import answers: the template as stored (or as it would be), its version, and what was recognized. */
export interface ImportTemplateOutcome {
  readonly template: TemplateDocument;
  readonly version: number;
  readonly dryRun: boolean;
  readonly report: ImportReport;
}

const headOf = (template: Template, version: number, at: string, actor: Actor): TemplateHead => ({
  id: template.id,
  name: template.name,
  description: template.description,
  phases: template.phases.map((phase) => ({ id: phase.id, name: phase.name, kind: phase.kind })),
  roles: template.roles,
  latestVersion: version,
  archived: false,
  updatedAt: at,
  updatedBy: actorRef(actor),
});

/** Every template that is not archived, by id: the latest version of each. */
export async function listTemplates(ctx: TemplateContext, actor: Actor): Promise<TemplateSummary[]> {
  authorize(actor, { kind: 'read' });
  const heads = new Map((await ctx.store.listHeads()).map((head) => [head.id, head]));
  const summaries: TemplateSummary[] = [];
  for (const builtIn of ctx.builtIns.list()) {
    if (heads.has(builtIn.id)) continue;
    summaries.push({ ...headOf(builtIn, 1, '', actor), version: 1, builtIn: true });
  }
  for (const head of heads.values()) {
    if (head.archived) continue;
    const { id, name, description, phases, roles, latestVersion } = head;
    const builtIn = latestVersion === 1 && ctx.builtIns.get(id) !== undefined;
    summaries.push({ id, name, description, phases, roles, version: latestVersion, builtIn });
  }
  return summaries.sort((a, b) => a.id.localeCompare(b.id));
}

/** The latest version of a template, whole. */
export async function getTemplate(ctx: TemplateContext, actor: Actor, templateId: string): Promise<TemplateDocument> {
  authorize(actor, { kind: 'read' });
  const found = await findLatest(ctx, templateId);
  if (!found) throw new NotFound('template', templateId);
  return documentOf(found);
}

/** One version of a template, whole. */
export async function getTemplateVersion(
  ctx: TemplateContext,
  actor: Actor,
  templateId: string,
  version: number,
): Promise<TemplateDocument> {
  authorize(actor, { kind: 'read' });
  const found = await findVersion(ctx, templateId, version);
  if (!found) throw new NotFound('template version', `${templateId}@${version}`);
  return documentOf(found);
}

/** The template a document describes, with what was recognized: Markdown through the importer, JSON as is. */
function parseDocument(input: ImportTemplateInput): { template: Template; report: ImportReport } {
  const placeholder = input.id ?? 'imported-checklist';
  if (input.format === 'markdown') {
    return importChecklistWithReport(input.body, { id: placeholder, sourceFile: `${placeholder}.md` });
  }
  let json: unknown;
  try {
    json = JSON.parse(input.body);
  } catch {
    throw ValidationFailed.field('body', 'is not JSON: send a template document, or the checklist as text/markdown');
  }
  const draft =
    typeof json === 'object' && json !== null ? { ...json, id: input.id ?? (json as { id?: unknown }).id } : json;
  const parsed = Template.safeParse(draft);
  if (!parsed.success) {
    throw new ValidationFailed(
      parsed.error.issues.map((issue) => ({
        field: ['body', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  return { template: parsed.data, report: templateReport(parsed.data, []) };
}

/** The id an import goes to: the one asked for, or the slug of the document's title. */
function idFor(input: ImportTemplateInput, template: Template): string {
  const id = input.id ?? (input.format === 'json' ? template.id : slugify(template.name, '', 64));
  if (!id) throw ValidationFailed.field('id', 'is required: the checklist has no title to name the template after');
  if (!Slug.safeParse(id).success) {
    throw ValidationFailed.field('id', 'must be a lowercase slug such as web-release (letters, digits and -)');
  }
  return id;
}

/**
 * Imports a checklist or a template document as the next version of its id (version 1 of a new id; version 2 of a
 * built-in's id). Versions are never changed; releases in flight keep the snapshot they were made from. Two imports
 * to one id at once become two versions. With `dryRun`, nothing is saved.
 */
export async function importTemplate(
  ctx: TemplateContext,
  actor: Actor,
  input: ImportTemplateInput,
): Promise<ImportTemplateOutcome> {
  authorize(actor, { kind: 'manage-templates' });
  const parsed = parseDocument(input);
  const id = idFor(input, parsed.template);
  const template = {
    ...parsed.template,
    id,
    sourceFile: input.format === 'markdown' ? `${id}.md` : parsed.template.sourceFile,
  };
  const report = { ...parsed.report, name: template.name };
  for (let attempt = 0; ; attempt += 1) {
    const head = await ctx.store.getHead(id);
    const latest = latestOf(head, ctx.builtIns.get(id));
    const version = latest + 1;
    const at = ctx.clock.now().toISOString();
    const document = documentOf({ template, version, builtIn: false, createdAt: at, createdBy: actorRef(actor) });
    if (input.dryRun) return { template: document, version, dryRun: true, report };
    try {
      await ctx.store.saveVersion(
        { template, version, createdAt: at, createdBy: actorRef(actor) },
        headOf(template, version, at, actor),
        head?.latestVersion ?? 0,
      );
      return { template: document, version, dryRun: false, report };
    } catch (error) {
      // Another import to this id landed first: this one becomes the version after it.
      if (!(error instanceof StaleVersion) || attempt >= 10) throw error;
    }
  }
}

/**
 * Archives a template (or brings it back): an archived template is left out of the list and no new release is made
 * from it; its versions stay readable and releases made from it run on. Importing a new version brings it back.
 */
export async function archiveTemplate(
  ctx: TemplateContext,
  actor: Actor,
  templateId: string,
  archived: boolean,
): Promise<TemplateSummary> {
  authorize(actor, { kind: 'manage-templates' });
  for (let attempt = 0; ; attempt += 1) {
    const head = await ctx.store.getHead(templateId);
    const latest = await resolveTemplate(ctx, templateId);
    const at = ctx.clock.now().toISOString();
    const next = { ...(head ?? headOf(latest.template, latest.version, at, actor)), archived, updatedAt: at };
    try {
      await ctx.store.saveHead({ ...next, updatedBy: actorRef(actor) }, head?.latestVersion ?? 0);
      const { id, name, description, phases, roles, latestVersion } = next;
      return { id, name, description, phases, roles, version: latestVersion, builtIn: latest.builtIn };
    } catch (error) {
      if (!(error instanceof StaleVersion) || attempt >= 10) throw error;
    }
  }
}

/** A version of a template (the latest by default) as a blank Markdown checklist. */
export async function exportTemplate(
  ctx: TemplateContext,
  actor: Actor,
  templateId: string,
  version?: number | undefined,
): Promise<string> {
  authorize(actor, { kind: 'read' });
  return templateMarkdown((await resolveTemplate(ctx, templateId, version)).template);
}

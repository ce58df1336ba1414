// Where a template version comes from: the store (what teams import) or the built-ins (version 1 of their ids). A
// stored id that is also a built-in's starts at version 2, so the built-in is never shadowed, only followed.
import type { ActorRef } from '../auth/actor.ts';
import { NotFound, ValidationFailed } from '../errors.ts';
import type { Clock, TemplateCatalog, TemplateHead, TemplateStore } from '../ports.ts';
import type { Template } from './template.ts';

/** The ports of the template use cases. */
export interface TemplateContext {
  readonly builtIns: TemplateCatalog;
  readonly store: TemplateStore;
  readonly clock: Clock;
}

/** One version of a template, wherever it is kept. */
export interface VersionedTemplate {
  readonly template: Template;
  readonly version: number;
  readonly builtIn: boolean;
  readonly createdAt?: string | undefined;
  readonly createdBy?: ActorRef | undefined;
}

/** The version of a template that the API serves: the template with its version and where it came from. */
export type TemplateDocument = Template & {
  readonly version: number;
  readonly builtIn: boolean;
  readonly createdAt?: string | undefined;
  readonly createdBy?: ActorRef | undefined;
};

export const documentOf = (found: VersionedTemplate): TemplateDocument => ({
  ...found.template,
  version: found.version,
  builtIn: found.builtIn,
  ...(found.createdAt ? { createdAt: found.createdAt, createdBy: found.createdBy } : {}),
});

/** The latest version a head and the built-ins know of (0: none). */
export const latestOf = (head: TemplateHead | undefined, builtIn: Template | undefined): number =>
  head?.latestVersion ?? (builtIn ? 1 : 0);

/** One version of a template, or undefined when the id or the version does not exist. */
export async function findVersion(
  ctx: Pick<TemplateContext, 'builtIns' | 'store'>,
  templateId: string,
  version: number,
): Promise<VersionedTemplate | undefined> {
  const builtIn = ctx.builtIns.get(templateId);
  if (version === 1 && builtIn) return { template: builtIn, version: 1, builtIn: true };
  const stored = await ctx.store.getVersion(templateId, version);
  return stored && { ...stored, builtIn: false };
}

/** The latest version of a template, or undefined when the id does not exist. */
export async function findLatest(
  ctx: Pick<TemplateContext, 'builtIns' | 'store'>,
  templateId: string,
): Promise<VersionedTemplate | undefined> {
  const latest = latestOf(await ctx.store.getHead(templateId), ctx.builtIns.get(templateId));
  return latest > 0 ? findVersion(ctx, templateId, latest) : undefined;
}

/**
 * The template a release is made from: the given version, or the latest. An unknown id is a 404; an unknown version
 * of a known id is a 400 that says which versions exist.
 */
export async function resolveTemplate(
  ctx: Pick<TemplateContext, 'builtIns' | 'store'>,
  templateId: string,
  version?: number | undefined,
): Promise<VersionedTemplate> {
  if (version === undefined) {
    const latest = await findLatest(ctx, templateId);
    if (!latest) throw new NotFound('template', templateId);
    return latest;
  }
  const found = await findVersion(ctx, templateId, version);
  if (found) return found;
  const latest = latestOf(await ctx.store.getHead(templateId), ctx.builtIns.get(templateId));
  if (latest === 0) throw new NotFound('template', templateId);
  throw ValidationFailed.field(
    'templateVersion',
    `template ${templateId} has no version ${version}: its versions are 1 to ${latest}`,
  );
}

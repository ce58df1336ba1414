// The use cases of templates: list and read them.
import type { Actor } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound } from '../errors.ts';
import type { TemplateCatalog } from '../ports.ts';
import type { PhaseKind, Template } from './template.ts';

export interface TemplateSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly phases: readonly { readonly id: string; readonly name: string; readonly kind: PhaseKind }[];
  readonly roles: readonly { readonly id: string; readonly label: string }[];
}

/** The templates releases can be made from, each summarized. */
export function listTemplates(templates: TemplateCatalog, actor: Actor): TemplateSummary[] {
  authorize(actor, { kind: 'read' });
  return templates.list().map((t) => ({
    id: t.id,
    name: t.name,
    description: t.description,
    phases: t.phases.map((phase) => ({ id: phase.id, name: phase.name, kind: phase.kind })),
    roles: t.roles,
  }));
}

/** One template, whole. */
export function getTemplate(templates: TemplateCatalog, actor: Actor, templateId: string): Template {
  authorize(actor, { kind: 'read' });
  const found = templates.get(templateId);
  if (!found) throw new NotFound('template', templateId);
  return found;
}

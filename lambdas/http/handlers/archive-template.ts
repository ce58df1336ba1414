// POST /templates/{templateId}/archive {archived?}: hide a template from the list and from new releases (false
// brings it back); its versions stay readable and releases made from it run on.
import { archiveTemplate } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ArchiveTemplateBody, TemplateParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.archiveTemplate, ({ templates, requests }) =>
  httpRoute({ params: TemplateParams, body: ArchiveTemplateBody, requests }, async ({ actor, params, body }) =>
    ok(await archiveTemplate(templates, actor, params.templateId, body.archived ?? true)),
  ),
);

export const handler = lambdaHandler(fn);

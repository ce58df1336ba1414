// GET /templates/{templateId}/versions/{version}: any version of a template, whole (built-ins are version 1).
import { getTemplateVersion } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { TemplateVersionParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.getTemplateVersion, ({ templates }) =>
  httpRoute({ params: TemplateVersionParams }, async ({ actor, params }) =>
    ok(await getTemplateVersion(templates, actor, params.templateId, params.version)),
  ),
);

export const handler = lambdaHandler(fn);

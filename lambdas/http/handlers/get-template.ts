// GET /templates/{templateId}: the latest version, whole, with its version number.
import { getTemplate } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { TemplateParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.getTemplate, ({ templates }) =>
  httpRoute({ params: TemplateParams }, async ({ actor, params }) =>
    ok(await getTemplate(templates, actor, params.templateId)),
  ),
);

export const handler = lambdaHandler(fn);

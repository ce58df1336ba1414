// GET /templates/{templateId}/checklist.md?version=: the template as a blank Markdown checklist.
import { exportTemplate } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { document, httpRoute } from '../api.ts';
import { ExportTemplateQuery, TemplateParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.exportTemplate, ({ templates }) =>
  httpRoute({ params: TemplateParams, query: ExportTemplateQuery }, async ({ actor, params, query }) =>
    document('text/markdown; charset=utf-8', await exportTemplate(templates, actor, params.templateId, query.version)),
  ),
);

export const handler = lambdaHandler(fn);

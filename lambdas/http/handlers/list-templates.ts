// GET /templates: the latest version of every template that is not archived, built-in or imported.
import { listTemplates } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';

export const fn = defineFunction(ROUTES.listTemplates, ({ templates }) =>
  httpRoute({}, async ({ actor }) => ok({ items: await listTemplates(templates, actor) })),
);

export const handler = lambdaHandler(fn);

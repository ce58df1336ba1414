// GET /templates
import { listTemplates } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';

export const fn = defineFunction(ROUTES.listTemplates, ({ templates }) =>
  httpRoute({}, ({ actor }) => ok({ items: listTemplates(templates, actor) })),
);

export const handler = lambdaHandler(fn);

// POST /templates?id=&dryRun=: a team's checklist (text/markdown) or a template document (application/json) becomes
// the next version of a template; 201 with its Location and an import report, or with dryRun=true a preview (200).
import { ValidationFailed } from '../../core/errors.ts';
import { importTemplate } from '../../core/template/template-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { created, httpRoute, ok } from '../api.ts';
import { ImportTemplateQuery, MAX_TEMPLATE_BYTES } from '../schemas.ts';

const MARKDOWN = new Set(['text/markdown', 'text/x-markdown', 'text/plain']);

/** What the body is, by its content type. */
function formatOf(contentType: string): 'markdown' | 'json' {
  if (MARKDOWN.has(contentType)) return 'markdown';
  if (contentType === 'application/json') return 'json';
  throw ValidationFailed.field(
    'content-type',
    'must be text/markdown (a checklist) or application/json (a template document)',
  );
}

export const fn = defineFunction(ROUTES.importTemplate, ({ templates, requests }) =>
  httpRoute(
    { query: ImportTemplateQuery, raw: { maxBytes: MAX_TEMPLATE_BYTES }, requests },
    async ({ actor, query, rawBody, contentType }) => {
      const format = formatOf(contentType);
      if (rawBody.trim() === '') throw ValidationFailed.field('body', 'is empty: send the checklist');
      const outcome = await importTemplate(templates, actor, {
        format,
        body: rawBody,
        id: query.id,
        dryRun: query.dryRun === 'true',
      });
      if (outcome.dryRun) return ok(outcome);
      return created(`/templates/${outcome.template.id}/versions/${outcome.version}`, outcome);
    },
  ),
);

export const handler = lambdaHandler(fn);

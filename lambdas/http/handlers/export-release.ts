// GET /releases/{releaseId}/checklist.md: the release as a filled-in Markdown checklist, who did what and when.
import { exportRelease } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { document, httpRoute } from '../api.ts';
import { ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.exportRelease, ({ releases }) =>
  httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
    document('text/markdown; charset=utf-8', await exportRelease(releases, actor, params.releaseId)),
  ),
);

export const handler = lambdaHandler(fn);

// POST /releases/{releaseId}/resume: hand the release to a new execution that continues where it stands (after
// a new state machine definition is deployed, or when an execution was lost), and stop the old one.
import { resume } from '../../core/workflow/workflow-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.resumeRelease, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, requests }, async ({ actor, params }) =>
    ok(await resume(releases, actor, params.releaseId)),
  ),
);

export const handler = lambdaHandler(fn);

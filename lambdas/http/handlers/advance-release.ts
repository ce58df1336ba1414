// POST /releases/{releaseId}/advance: evaluate what the release waits for now; 409 lists what is missing.
import { advance } from '../../core/workflow/workflow-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.advanceRelease, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, requests }, async ({ actor, params }) =>
    ok(await advance(releases, actor, params.releaseId)),
  ),
);

export const handler = lambdaHandler(fn);

// POST /releases/{releaseId}/cancel {reason}: cancel a release before production deployment starts.
import { cancel } from '../../core/workflow/workflow-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.cancelRelease, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: ReasonBody, requests }, async ({ actor, params, body }) =>
    ok(await cancel(releases, actor, params.releaseId, body.reason)),
  ),
);

export const handler = lambdaHandler(fn);

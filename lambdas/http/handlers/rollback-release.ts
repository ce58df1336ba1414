// POST /releases/{releaseId}/rollback {reason}: move a release in production into its rollback states.
import { requestRollback } from '../../core/monitoring/rollback-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.rollbackRelease, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: ReasonBody, requests }, async ({ actor, params, body }) =>
    ok(await requestRollback(releases, actor, params.releaseId, body.reason)),
  ),
);

export const handler = lambdaHandler(fn);

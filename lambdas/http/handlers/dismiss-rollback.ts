// POST /releases/{releaseId}/rollback/dismiss {reason}: keep the release although a trigger proposed a rollback.
import { dismissRollback } from '../../core/monitoring/rollback-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReasonBody, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.dismissRollback, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: ReasonBody, requests }, async ({ actor, params, body }) =>
    ok(await dismissRollback(releases, actor, params.releaseId, body.reason)),
  ),
);

export const handler = lambdaHandler(fn);

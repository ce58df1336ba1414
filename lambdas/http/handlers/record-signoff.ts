// POST /releases/{releaseId}/signoffs
import { recordSignoff } from '../../core/release/checklist-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReleaseParams, SignoffBody } from '../schemas.ts';

export const fn = defineFunction(ROUTES.recordSignoff, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: SignoffBody, requests }, async ({ actor, params, body }) =>
    ok(await recordSignoff(releases, actor, params.releaseId, body)),
  ),
);

export const handler = lambdaHandler(fn);

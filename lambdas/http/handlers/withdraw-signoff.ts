// DELETE /releases/{releaseId}/signoffs/{gate}/{role}: withdraw a standing approval or rejection.
import { withdrawSignoff } from '../../core/release/checklist-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { SignoffParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.withdrawSignoff, ({ releases, requests }) =>
  httpRoute({ params: SignoffParams, requests }, async ({ actor, params }) =>
    ok(await withdrawSignoff(releases, actor, params.releaseId, params.gate, params.role)),
  ),
);

export const handler = lambdaHandler(fn);

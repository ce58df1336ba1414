// POST /releases/{releaseId}/acknowledge {note?}: stop the escalation paging for a release; who acknowledged is kept.
import { acknowledge } from '../../core/workflow/escalation-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { AcknowledgeBody, ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.acknowledgeRelease, ({ releases, requests }) =>
  httpRoute({ params: ReleaseParams, body: AcknowledgeBody, requests }, async ({ actor, params, body }) =>
    ok(await acknowledge(releases, actor, params.releaseId, body.note)),
  ),
);

export const handler = lambdaHandler(fn);

// GET /releases/{releaseId}/report: per monitoring window, each metric's min/avg/max/p95 against its targets and
// triggers, the breaches, and the success metrics.
import { report } from '../../core/monitoring/metrics-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ReleaseParams } from '../schemas.ts';

export const fn = defineFunction(ROUTES.getReport, ({ releases }) =>
  httpRoute({ params: ReleaseParams }, async ({ actor, params }) =>
    ok(await report(releases, actor, params.releaseId)),
  ),
);

export const handler = lambdaHandler(fn);

// POST /releases
import { createRelease } from '../../core/release/release-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { created, httpRoute } from '../api.ts';
import { CreateReleaseBody } from '../schemas.ts';

export const fn = defineFunction(ROUTES.createRelease, ({ releases, requests }) =>
  httpRoute({ body: CreateReleaseBody, requests }, async ({ actor, body }) => {
    const release = await createRelease(releases, actor, body);
    return created(`/releases/${release.id}`, release);
  }),
);

export const handler = lambdaHandler(fn);

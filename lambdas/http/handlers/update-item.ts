// PATCH /releases/{releaseId}/items/{itemId}
import { updateItem } from '../../core/release/checklist-use-cases.ts';
import { ROUTES } from '../../functions/catalog.ts';
import { defineFunction } from '../../functions/define.ts';
import { lambdaHandler } from '../../functions/lambda.ts';
import { httpRoute, ok } from '../api.ts';
import { ItemParams, UpdateItemBody } from '../schemas.ts';

export const fn = defineFunction(ROUTES.updateItem, ({ releases, requests }) =>
  httpRoute({ params: ItemParams, body: UpdateItemBody, requests }, async ({ actor, params, body }) =>
    ok(await updateItem(releases, actor, params.releaseId, params.itemId, body)),
  ),
);

export const handler = lambdaHandler(fn);

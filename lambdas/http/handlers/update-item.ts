// PATCH /releases/{releaseId}/items/{itemId}
import { httpRoute, ok } from '../api.ts';
import { releasesService } from '../composition.ts';
import { ItemParams, UpdateItemBody } from '../schemas.ts';

const releases = releasesService({ workflow: 'api' });

export const handler = httpRoute({ params: ItemParams, body: UpdateItemBody }, async ({ actor, params, body }) =>
  ok(await releases.updateItem(actor, params.releaseId, params.itemId, body)),
);

// The composition root: builds each service once per container from configuration and real adapters.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { DynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { systemClock, ulidIds } from '../adapters/system.ts';
import type { TemplateCatalog } from '../core/ports.ts';
import { makeReleasesService, type ReleasesService } from '../core/releases-service.ts';
import { makeTemplatesService, type TemplatesService } from '../core/templates-service.ts';
import { readReleasesConfig } from './config.ts';

export const templateCatalog: TemplateCatalog = { list: () => builtInTemplates, get: findBuiltInTemplate };

let releases: ReleasesService | undefined;
let templates: TemplatesService | undefined;

/** The releases service of this container; the first call reads configuration and creates the SDK client. */
export function releasesService(): ReleasesService {
  if (!releases) {
    const config = readReleasesConfig();
    const store = new DynamoReleaseStore({ client: new DynamoDBClient({}), tableName: config.releasesTable });
    releases = makeReleasesService({ store, templates: templateCatalog, clock: systemClock, ids: ulidIds() });
  }
  return releases;
}

export function templatesService(): TemplatesService {
  templates ??= makeTemplatesService(templateCatalog);
  return templates;
}

// The composition root: builds each service once per container from configuration and real adapters.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { DynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { StepFunctionsWorkflow } from '../adapters/sfn/step-functions-workflow.ts';
import { systemClock, ulidIds } from '../adapters/system.ts';
import type { TemplateCatalog, WorkflowEngine } from '../core/ports.ts';
import { makeReleasesService, type ReleasesService } from '../core/releases-service.ts';
import { makeTemplatesService, type TemplatesService } from '../core/templates-service.ts';
import { readReleasesConfig } from './config.ts';
import { logger } from './logger.ts';

export const templateCatalog: TemplateCatalog = { list: () => builtInTemplates, get: findBuiltInTemplate };

let releases: ReleasesService | undefined;
let templates: TemplatesService | undefined;

/** Read-only functions are given no state machine; reaching for it there is a wiring bug, said plainly. */
const noWorkflow: WorkflowEngine = {
  start: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  succeed: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  fail: () => Promise.reject(new Error('this function is not wired to the release workflow')),
  stop: () => Promise.reject(new Error('this function is not wired to the release workflow')),
};

/**
 * How a function takes part in release workflows: `api` functions start executions and answer task tokens (a
 * missing STATE_MACHINE_ARN fails their init); the state machine's own task function only answers the tokens it
 * is handed; read-only functions take no part.
 */
export type WorkflowRole = 'api' | 'task' | 'none';

/** The releases service of this container; the first call reads configuration and creates the SDK clients. */
export function releasesService(options: { readonly workflow?: WorkflowRole } = {}): ReleasesService {
  if (!releases) {
    const role = options.workflow ?? 'none';
    const config = readReleasesConfig(process.env, { needsWorkflow: role === 'api' });
    const store = new DynamoReleaseStore({ client: new DynamoDBClient({}), tableName: config.releasesTable });
    const workflow =
      role === 'none' && !config.stateMachineArn
        ? noWorkflow
        : new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: config.stateMachineArn });
    releases = makeReleasesService({
      store,
      templates: templateCatalog,
      clock: systemClock,
      ids: ulidIds(),
      workflow,
      timeScale: config.timeScale,
      onWorkflowError: (error, context) =>
        logger.warn('the workflow was not told of a saved change', { error, ...context }),
    });
  }
  return releases;
}

export function templatesService(): TemplatesService {
  templates ??= makeTemplatesService(templateCatalog);
  return templates;
}

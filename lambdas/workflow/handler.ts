// The state machine's task function: "decide" (apply what ended the last wait, decide the next) and "await"
// (keep the callback token of a wait). Thin: validation and one use case each; the rules are in core/workflow.ts.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { releasesService } from '../http/composition.ts';
import { logger } from '../http/logger.ts';
import { runWorkflowTask, type WorkflowTaskResult } from './task.ts';

const releases = releasesService({ workflow: 'task' });

export const handler = middy<unknown, WorkflowTaskResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((payload) => runWorkflowTask(releases, payload));

// The state machine's task function: "decide" (apply what ended the last wait, decide the next) and "await"
// (keep the callback token of a wait). Thin: validation and one use case each; the rules are in core/workflow.ts.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { WORKFLOW_FUNCTION } from '../functions/catalog.ts';
import { defineFunction } from '../functions/define.ts';
import { lambdaHandler } from '../functions/lambda.ts';
import { logger } from '../functions/logger.ts';
import { runWorkflowTask, type WorkflowTaskResult } from './task.ts';

export const fn = defineFunction(WORKFLOW_FUNCTION, ({ releases }) =>
  middy<unknown, WorkflowTaskResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((payload) => runWorkflowTask(releases, payload)),
);

export const handler = lambdaHandler(fn);

// The escalation state machine's task function: "page" (page the next level, or end) and "await-acknowledgement"
// (keep the token POST /releases/{id}/acknowledge answers). Thin: the rules are in core/escalation.ts.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ESCALATION_FUNCTION } from '../functions/catalog.ts';
import { defineFunction } from '../functions/define.ts';
import { lambdaHandler } from '../functions/lambda.ts';
import { logger } from '../functions/logger.ts';
import { type EscalationTaskResult, runEscalationTask } from './escalation-task.ts';

export const fn = defineFunction(ESCALATION_FUNCTION, ({ releases }) =>
  middy<unknown, EscalationTaskResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((payload) => runEscalationTask(releases, payload)),
);

export const handler = lambdaHandler(fn);

// The escalation state machine's task function: "page" (page the next level, or end) and "await-acknowledgement"
// (keep the token POST /releases/{id}/acknowledge answers). Thin: the rules are in core/escalation.ts.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { releasesService } from '../http/composition.ts';
import { logger } from '../http/logger.ts';
import { type EscalationTaskResult, runEscalationTask } from './escalation-task.ts';

const releases = releasesService({ workflow: 'task' });

export const handler = middy<unknown, EscalationTaskResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((payload) => runEscalationTask(releases, payload));

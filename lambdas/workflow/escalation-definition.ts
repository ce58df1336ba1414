// The one definition of the escalation state machine: page a level, wait for an acknowledgement as long as the
// template's interval, page the next level on timeout, stop when someone acknowledges or the chain is exhausted.
// Like the release workflow, it only loops; lambdas/core/workflow/escalation.ts decides what each step means. A task
// failure that outlives its retries is recorded on the release and ends the escalation: it never pages in a loop.
import { ROLLBACK_TRIGGERED } from '../core/workflow/workflow.ts';
import { catchRest, failureStates, retriers, TASK_TIMEOUT_SECONDS } from './resilience.ts';

/** The placeholder CDK's definitionSubstitutions and the local runtime replace with the escalation function. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation definition substitution, not a JS template
export const ESCALATION_FUNCTION_PLACEHOLDER = '${EscalationFunctionArn}';

/** The execution input: which release, and which escalation of it. */
export interface EscalationInput {
  readonly releaseId: string;
  readonly escalationId: string;
}

export function escalationDefinition(functionArn: string = ESCALATION_FUNCTION_PLACEHOLDER) {
  const step = (kind: string) => ({
    'releaseId.$': '$.releaseId',
    'escalationId.$': '$.escalationId',
    outcome: kind,
  });
  return {
    Comment: 'Shipgate escalation: page level 1, then each next level while nobody acknowledges.',
    StartAt: 'Start',
    States: {
      Start: { Type: 'Pass', Parameters: step('start'), Next: 'Page' },
      Page: {
        Type: 'Task',
        Comment: 'Pages the next level (or ends the escalation) and says how long to wait for an acknowledgement.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: functionArn,
          Payload: {
            action: 'page',
            'releaseId.$': '$.releaseId',
            'escalationId.$': '$.escalationId',
            'outcome.$': '$.outcome',
          },
        },
        TimeoutSeconds: TASK_TIMEOUT_SECONDS,
        ResultSelector: { 'next.$': '$.Payload' },
        ResultPath: '$.paged',
        Retry: retriers({ timeoutIsTransient: true }),
        Catch: [catchRest('Page')],
        Next: 'Route',
      },
      Route: {
        Type: 'Choice',
        Choices: [{ Variable: '$.paged.next.action', StringEquals: 'await', Next: 'AwaitAcknowledgement' }],
        Default: 'Ended',
      },
      AwaitAcknowledgement: {
        Type: 'Task',
        Comment: 'Stores the task token with the escalation; POST /releases/{id}/acknowledge answers it.',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: functionArn,
          Payload: {
            action: 'await-acknowledgement',
            'releaseId.$': '$.releaseId',
            'escalationId.$': '$.escalationId',
            'taskToken.$': '$$.Task.Token',
          },
        },
        TimeoutSecondsPath: '$.paged.next.timeoutSeconds',
        ResultPath: null,
        // Its timeout means nobody acknowledged in time (page the next level): never retried, always caught below.
        Retry: retriers({ timeoutIsTransient: false }),
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Unacknowledged' },
          // Not used by the API today; listed so a misrouted rollback failure ends the escalation cleanly.
          { ErrorEquals: [ROLLBACK_TRIGGERED], ResultPath: '$.error', Next: 'Acknowledged' },
          catchRest('AwaitAcknowledgement'),
        ],
        Next: 'Acknowledged',
      },
      Unacknowledged: { Type: 'Pass', Parameters: step('timeout'), Next: 'Page' },
      Acknowledged: { Type: 'Pass', Parameters: step('acknowledged'), Next: 'Page' },
      Ended: { Type: 'Succeed' },
      ...failureStates(['Page', 'AwaitAcknowledgement'], functionArn, {
        'releaseId.$': '$.releaseId',
        'escalationId.$': '$.escalationId',
      }),
    },
  };
}

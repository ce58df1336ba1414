// The one definition of the release state machine (Amazon States Language). CDK deploys it with the workflow
// function's ARN substituted for ${WorkflowFunctionArn}; the local runtime runs the same object in
// aws-local-stepfunctions with a local name substituted. The loop is "decide, wait, decide": every decision
// (which phase, step or window is next, what a timeout or rollback means) is made by lambdas/core/workflow/workflow.ts.
// A task failure that outlives its retries is recorded on the release (resilience.ts) before the execution fails.

/** The placeholder CDK's definitionSubstitutions and the local runtime replace with the workflow function. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation definition substitution, not a JS template
export const WORKFLOW_FUNCTION_PLACEHOLDER = '${WorkflowFunctionArn}';

import { ROLLBACK_STEP_FAILED, ROLLBACK_TRIGGERED } from '../core/workflow/workflow.ts';
import { catchRest, failureStates, retriers, TASK_TIMEOUT_SECONDS } from './resilience.ts';

/** Error names the API sends as task failures; the definition catches them into the rollback states. */
export { ROLLBACK_STEP_FAILED, ROLLBACK_TRIGGERED };

/** The execution input: which release, and whether this execution resumes one already under way. */
export interface WorkflowInput {
  readonly releaseId: string;
  readonly resume?: boolean;
}

/** The outcome passed to the next decision, built from what ended the wait. */
const outcome = (kind: string, extra: Record<string, string> = {}) => ({
  'releaseId.$': '$.releaseId',
  outcome: { kind, ...extra },
});

export function workflowDefinition(functionArn: string = WORKFLOW_FUNCTION_PLACEHOLDER) {
  return {
    Comment: 'Shipgate release: decide what the release waits for, wait for it, decide again, until it ends.',
    StartAt: 'StartOrResume',
    States: {
      StartOrResume: {
        Type: 'Choice',
        Comment: 'A resumed execution continues the release where it stands (its phase, step or window is stored).',
        Choices: [
          {
            And: [
              { Variable: '$.resume', IsPresent: true },
              { Variable: '$.resume', BooleanEquals: true },
            ],
            Next: 'Resume',
          },
        ],
        Default: 'Begin',
      },
      Begin: { Type: 'Pass', Parameters: outcome('start'), Next: 'Decide' },
      Resume: { Type: 'Pass', Parameters: outcome('resume'), Next: 'Decide' },
      Decide: {
        Type: 'Task',
        Comment: 'Applies what ended the last wait and decides the next one (idempotent: a retry decides the same).',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: functionArn,
          Payload: {
            action: 'decide',
            'releaseId.$': '$.releaseId',
            'outcome.$': '$.outcome',
            'executionId.$': '$$.Execution.Id',
          },
        },
        TimeoutSeconds: TASK_TIMEOUT_SECONDS,
        ResultSelector: { 'next.$': '$.Payload' },
        ResultPath: '$.decision',
        Retry: retriers({ timeoutIsTransient: true }),
        Catch: [catchRest('Decide')],
        Next: 'Route',
      },
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.decision.next.action', StringEquals: 'await', Next: 'Await' },
          { Variable: '$.decision.next.status', StringEquals: 'ROLLBACK_FAILED', Next: 'RollbackFailed' },
        ],
        Default: 'Ended',
      },
      Await: {
        Type: 'Task',
        Comment:
          'Stores the task token with the release; the API sends task success when the wait is satisfied, or ' +
          'task failure when a rollback is triggered. A timeout ends a monitoring window cleanly.',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: functionArn,
          Payload: {
            action: 'await',
            'releaseId.$': '$.releaseId',
            'waitId.$': '$.decision.next.wait.id',
            'taskToken.$': '$$.Task.Token',
          },
        },
        TimeoutSecondsPath: '$.decision.next.timeoutSeconds',
        ResultPath: null,
        // Its timeout is its meaning (a window passed, a gate is overdue): never retried, always caught below.
        Retry: retriers({ timeoutIsTransient: false }),
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
          { ErrorEquals: [ROLLBACK_TRIGGERED], ResultPath: '$.error', Next: 'RollbackTriggered' },
          { ErrorEquals: [ROLLBACK_STEP_FAILED], ResultPath: '$.error', Next: 'RollbackStepFailed' },
          catchRest('Await'),
        ],
        Next: 'Satisfied',
      },
      Satisfied: {
        Type: 'Pass',
        Parameters: outcome('satisfied', { 'waitId.$': '$.decision.next.wait.id' }),
        Next: 'Decide',
      },
      TimedOut: {
        Type: 'Pass',
        Parameters: outcome('timeout', { 'waitId.$': '$.decision.next.wait.id' }),
        Next: 'Decide',
      },
      RollbackTriggered: { Type: 'Pass', Parameters: outcome('rollback'), Next: 'Decide' },
      RollbackStepFailed: {
        Type: 'Pass',
        Parameters: outcome('rollback-failed', { 'cause.$': '$.error.Cause' }),
        Next: 'Decide',
      },
      RollbackFailed: { Type: 'Fail', Error: 'RollbackFailed', Cause: 'A rollback procedure step failed' },
      Ended: { Type: 'Succeed' },
      ...failureStates(['Decide', 'Await'], functionArn, { 'releaseId.$': '$.releaseId' }),
    },
  };
}

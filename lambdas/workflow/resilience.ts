// What both state machines do when a task fails: retry what is transient, with exponential backoff and full jitter,
// and catch the rest into a RecordFailure task that keeps the failure on the release before the execution fails.
// Every task function is idempotent (a decision reads the stored release; tokens and failures are kept once), so a
// retry after a partial success decides and writes the same.

/** Errors of the Lambda service itself, and a function that ran out of time: the invocation never really ran. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Sandbox.Timedout',
] as const;

/**
 * Throttling: of the invocation, and of DynamoDB as the function reports it once the SDK's own retries are spent;
 * StaleVersion is the store's contention left after the core's own retries of a write that lost a race.
 */
export const THROTTLING_ERRORS = [
  'Lambda.TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'StaleVersion',
] as const;

/** How long a Lambda task may take before Step Functions times it out (the functions stop at 30 s). */
export const TASK_TIMEOUT_SECONDS = 60;

type Retrier = {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds: number;
  readonly JitterStrategy: 'FULL';
};

/**
 * The retriers of a task. Full jitter spreads the retries of many executions hit by the same outage; the caps keep
 * a retried release moving within minutes. Service errors: up to 6 more tries over about a minute. Throttling
 * backs off longer (8 tries, up to 60 s apart: about 5 minutes) since retrying sooner only throttles again.
 * `timeoutIsTransient` adds States.Timeout (3 tries): only where a timeout is not the state's meaning; an Await's
 * timeout means a window passed or a gate is overdue, and must reach its Catch untouched.
 */
export function retriers(options: { readonly timeoutIsTransient: boolean }): Retrier[] {
  const service: Retrier = {
    ErrorEquals: LAMBDA_SERVICE_ERRORS,
    IntervalSeconds: 1,
    BackoffRate: 2,
    MaxAttempts: 6,
    MaxDelaySeconds: 20,
    JitterStrategy: 'FULL',
  };
  const throttled: Retrier = {
    ErrorEquals: THROTTLING_ERRORS,
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 8,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  };
  const timedOut: Retrier = {
    ErrorEquals: ['States.Timeout'],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 3,
    MaxDelaySeconds: 10,
    JitterStrategy: 'FULL',
  };
  return options.timeoutIsTransient ? [service, throttled, timedOut] : [service, throttled];
}

/** The state every failed task is caught into, through a Pass state per task naming it. */
export const RECORD_FAILURE = 'RecordFailure';

/** The last Catch of a task: anything its retries and earlier catches did not handle. */
export const catchRest = (task: string) => ({
  ErrorEquals: ['States.ALL'],
  ResultPath: '$.error',
  Next: `${task}Failed`,
});

/**
 * The failure states of a machine: one Pass per task (`<task>Failed`, naming the state for the record), then
 * RecordFailure (a task of the machine's function with `action: 'fail'`), then a Fail state. If even the record
 * cannot be written, the execution fails with its own error, which the Step Functions ExecutionsFailed metric sees.
 */
export function failureStates(
  tasks: readonly string[],
  functionArn: string,
  ids: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const named = Object.fromEntries(
    tasks.map((task) => [
      `${task}Failed`,
      { Type: 'Pass', Result: task, ResultPath: '$.failedState', Next: RECORD_FAILURE },
    ]),
  );
  return {
    ...named,
    [RECORD_FAILURE]: {
      Type: 'Task',
      Comment: 'Keeps the failure on the release (error name and a short message) and notifies the release manager.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: functionArn,
        Payload: {
          action: 'fail',
          ...ids,
          'error.$': '$.error',
          'state.$': '$.failedState',
          'executionId.$': '$$.Execution.Id',
        },
      },
      TimeoutSeconds: TASK_TIMEOUT_SECONDS,
      ResultPath: null,
      Retry: retriers({ timeoutIsTransient: true }),
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'FailureNotRecorded' }],
      Next: 'Failed',
    },
    Failed: {
      Type: 'Fail',
      Error: 'WorkflowTaskFailed',
      Cause: 'A task failed after its retries; the failure is recorded on the release.',
    },
    FailureNotRecorded: {
      Type: 'Fail',
      Error: 'WorkflowFailureNotRecorded',
      Cause: 'A task failed after its retries, and recording the failure on the release failed too.',
    },
  };
}

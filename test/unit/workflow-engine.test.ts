// The local workflow engine: callback gates and windows, rollback, resume, stop and tokens, on a small definition.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import {
  createLocalWorkflowEngine,
  type LocalTaskContext,
  type LocalTaskHandler,
  type LocalWorkflowEngine,
} from '../../local/workflow-engine.ts';

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
// asl-validator is CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const callback = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** A release in miniature: resume Choice, an approval gate, a deployment, a monitoring window, a rollback. */
const definition = {
  StartAt: 'ResumeAt',
  States: {
    ResumeAt: {
      Type: 'Choice',
      // As in AWS, comparing a missing field is a States.Runtime failure, so the rule tests presence first.
      Choices: [
        {
          And: [
            { Variable: '$.phase', IsPresent: true },
            { Variable: '$.phase', StringEquals: 'monitoring' },
          ],
          Next: 'Monitor',
        },
      ],
      Default: 'Gate',
    },
    Gate: {
      Type: 'Task',
      Resource: callback,
      Parameters: {
        FunctionName: fn('gate'),
        Payload: { 'releaseId.$': '$.releaseId', gate: 'approval', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 604800,
      ResultPath: '$.approval',
      Next: 'Deploy',
    },
    Deploy: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('deploy'), 'Payload.$': '$' },
      ResultSelector: { 'version.$': '$.Payload.version', 'statusCode.$': '$.StatusCode' },
      ResultPath: '$.deploy',
      Next: 'Monitor',
    },
    Monitor: {
      Type: 'Task',
      Resource: callback,
      Parameters: {
        FunctionName: fn('monitor'),
        Payload: { 'releaseId.$': '$.releaseId', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSecondsPath: '$.windowSeconds',
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.window', Next: 'Released' },
        { ErrorEquals: ['RollbackTriggered'], ResultPath: '$.rollbackReason', Next: 'Rollback' },
      ],
      Next: 'Released',
    },
    Rollback: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('rollback'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      End: true,
    },
    Released: { Type: 'Pass', Result: 'released', ResultPath: '$.outcome', End: true },
  },
};

/** Records every handler call; `next(name)` resolves with the next call of that handler. */
function recorder(results: Record<string, (payload: unknown) => unknown> = {}) {
  const calls: { name: string; payload: unknown; context: LocalTaskContext }[] = [];
  const waiters: { name: string; resolve: (call: { payload: unknown; context: LocalTaskContext }) => void }[] = [];
  const resolveHandler = (functionName: string): LocalTaskHandler | undefined => {
    const name = functionName.split(':').at(-1) ?? '';
    if (!['gate', 'deploy', 'monitor', 'rollback'].includes(name)) return undefined;
    return (payload, context) => {
      calls.push({ name, payload, context });
      const index = waiters.findIndex((waiter) => waiter.name === name);
      if (index >= 0) waiters.splice(index, 1)[0]?.resolve({ payload, context });
      return results[name]?.(payload);
    };
  };
  const next = (name: string) =>
    new Promise<{ payload: unknown; context: LocalTaskContext }>((resolve) => waiters.push({ name, resolve }));
  return { calls, resolveHandler, next };
}

function tokenOf(call: { context: LocalTaskContext }): string {
  assert.ok(call.context.taskToken, 'a callback task gets a token');
  return call.context.taskToken;
}

let engine: LocalWorkflowEngine | undefined;
afterEach(() => engine?.close());

describe('local workflow engine', () => {
  it('the test definition is valid ASL', () => {
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    assert.equal(result.isValid, true, result.errorsText('\n'));
  });

  it('runs a gate resolved by sendTaskSuccess, a lambda task, and a window that times out cleanly', async () => {
    const rec = recorder({ deploy: () => ({ version: '1.2.3' }) });
    // An hour-long window passes in 100 ms.
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler, timeScale: 36_000 });
    const gate = rec.next('gate');
    const monitor = rec.next('monitor');
    const { executionArn } = engine.startExecution({
      name: 'release-1',
      input: JSON.stringify({ releaseId: 'r1', windowSeconds: 3600 }),
    });
    const gateCall = await gate;
    const token = tokenOf(gateCall);
    assert.deepEqual(gateCall.payload, { releaseId: 'r1', gate: 'approval', taskToken: token });
    assert.equal(engine.describeExecution(executionArn).status, 'RUNNING');

    engine.sendTaskSuccess({ taskToken: token, output: JSON.stringify({ approvedBy: 'rita' }) });
    await monitor;
    const windowStarted = Date.now();
    const result = await engine.whenSettled(executionArn);
    const windowMs = Date.now() - windowStarted;
    assert.ok(windowMs >= 60 && windowMs < 2000, `the window took ${windowMs} ms`);
    assert.equal(result.status, 'SUCCEEDED');
    const output = JSON.parse(result.output ?? 'null');
    assert.deepEqual(output.approval, { approvedBy: 'rita' });
    assert.deepEqual(output.deploy, { version: '1.2.3', statusCode: 200 });
    assert.equal(output.window.Error, 'States.Timeout');
    assert.equal(output.outcome, 'released');
    assert.deepEqual(rec.calls.find((call) => call.name === 'deploy')?.payload, {
      releaseId: 'r1',
      windowSeconds: 3600,
      approval: { approvedBy: 'rita' },
    });

    // The token is spent: AWS answers TaskTimedOut for a closed task and InvalidToken for one it never issued.
    assert.throws(() => engine?.sendTaskSuccess({ taskToken: token, output: '{}' }), { name: 'TaskTimedOut' });
    assert.throws(() => engine?.sendTaskFailure({ taskToken: 'not-a-token', error: 'X' }), { name: 'InvalidToken' });
  });

  it('resumes at the monitoring phase and routes RollbackTriggered into the rollback states', async () => {
    const rec = recorder({ rollback: (payload) => ({ rolledBack: true, input: payload }) });
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler, timeScale: 3600 });
    const monitor = rec.next('monitor');
    const { executionArn } = engine.startExecution({
      name: 'release-2',
      // A week-long window (168 s at this scale) that a rollback trigger ends early.
      input: JSON.stringify({ releaseId: 'r2', phase: 'monitoring', windowSeconds: 604800 }),
    });
    const token = tokenOf(await monitor);
    engine.sendTaskFailure({ taskToken: token, error: 'RollbackTriggered', cause: 'error rate 5%' });
    const result = await engine.whenSettled(executionArn);
    assert.equal(result.status, 'SUCCEEDED');
    assert.deepEqual(
      rec.calls.map((call) => call.name),
      ['monitor', 'rollback'],
    );
    assert.deepEqual(JSON.parse(result.output ?? 'null'), {
      rolledBack: true,
      input: {
        releaseId: 'r2',
        phase: 'monitoring',
        windowSeconds: 604800,
        rollbackReason: { Error: 'RollbackTriggered', Cause: 'error rate 5%' },
      },
    });
  });

  it('stops an execution waiting on a gate, and its token is then closed', async () => {
    const rec = recorder();
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler });
    const gate = rec.next('gate');
    const { executionArn } = engine.startExecution({ name: 'release-3', input: '{"releaseId":"r3"}' });
    const token = tokenOf(await gate);
    engine.stopExecution(executionArn, { error: 'Cancelled', cause: 'release cancelled by rita' });
    const result = await engine.whenSettled(executionArn);
    assert.equal(result.status, 'ABORTED');
    assert.equal(result.error, 'Cancelled');
    assert.equal(result.cause, 'release cancelled by rita');
    assert.ok(result.stopDate);
    assert.throws(() => engine?.sendTaskSuccess({ taskToken: token, output: '{}' }), { name: 'TaskTimedOut' });
    // Nothing after the gate ran.
    assert.deepEqual(
      rec.calls.map((call) => call.name),
      ['gate'],
    );
  });

  it('fails the execution with the handler error name when a lambda task throws', async () => {
    const rec = recorder({
      deploy: () => {
        throw Object.assign(new Error('pipeline red'), { name: 'DeploymentFailed' });
      },
    });
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler });
    const gate = rec.next('gate');
    const { executionArn } = engine.startExecution({ name: 'release-4', input: '{"releaseId":"r4"}' });
    engine.sendTaskSuccess({ taskToken: tokenOf(await gate), output: '{}' });
    const result = await engine.whenSettled(executionArn);
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'DeploymentFailed');
    assert.deepEqual(JSON.parse(result.cause ?? 'null'), {
      errorType: 'DeploymentFailed',
      errorMessage: 'pipeline red',
    });
  });

  it('rejects a second execution with the same name and different input', () => {
    const rec = recorder();
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler });
    const first = engine.startExecution({ name: 'release-5', input: '{"releaseId":"r5"}' });
    assert.equal(
      engine.startExecution({ name: 'release-5', input: '{"releaseId":"r5"}' }).executionArn,
      first.executionArn,
    );
    assert.throws(() => engine?.startExecution({ name: 'release-5', input: '{"releaseId":"other"}' }), {
      name: 'ExecutionAlreadyExists',
    });
    assert.throws(() => engine?.describeExecution(`${first.executionArn}-missing`), { name: 'ExecutionDoesNotExist' });
  });

  it('refuses the name of an execution that ended, whatever the input (as Step Functions does for 90 days)', () => {
    const rec = recorder();
    engine = createLocalWorkflowEngine({ definition, resolveHandler: rec.resolveHandler });
    const input = '{"releaseId":"r6"}';
    const first = engine.startExecution({ name: 'release-6', input });
    engine.stopExecution(first.executionArn);
    assert.throws(() => engine?.startExecution({ name: 'release-6', input }), { name: 'ExecutionAlreadyExists' });
    assert.equal(engine.describeExecution(first.executionArn).status, 'ABORTED');
  });

  it('a timeout is States.Timeout, not matched by States.TaskFailed (as in AWS)', async () => {
    engine = createLocalWorkflowEngine({
      definition: {
        StartAt: 'Window',
        States: {
          Window: {
            Type: 'Task',
            Resource: callback,
            Parameters: { FunctionName: fn('monitor'), Payload: { 'taskToken.$': '$$.Task.Token' } },
            TimeoutSeconds: 3600,
            Catch: [
              { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
              { ErrorEquals: ['States.Timeout'], Next: 'Right' },
            ],
            End: true,
          },
          Wrong: { Type: 'Fail', Error: 'Wrong' },
          Right: { Type: 'Succeed' },
        },
      },
      resolveHandler: recorder().resolveHandler,
      timeScale: 36_000,
    });
    const result = await engine.whenSettled(engine.startExecution({}).executionArn);
    assert.equal(result.status, 'SUCCEEDED');
  });

  it('scales Wait states', async () => {
    engine = createLocalWorkflowEngine({
      definition: {
        StartAt: 'Pause',
        States: { Pause: { Type: 'Wait', Seconds: 86400, Next: 'Done' }, Done: { Type: 'Succeed' } },
      },
      resolveHandler: () => undefined,
      timeScale: 864_000,
    });
    const started = Date.now();
    const result = await engine.whenSettled(engine.startExecution({ input: '{"a":1}' }).executionArn);
    assert.equal(result.status, 'SUCCEEDED');
    assert.equal(result.output, '{"a":1}');
    assert.ok(Date.now() - started < 1000);
  });
  it('honours Retry: backoff capped by MaxDelaySeconds, full jitter, then the Catch once the attempts are spent', async () => {
    const attempts: number[] = [];
    const flaky = (failures: number) => () => {
      attempts.push(Date.now());
      if (attempts.length <= failures) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
      return { ok: true };
    };
    const task = (jitter: 'FULL' | 'NONE') => ({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('deploy'), 'Payload.$': '$' },
          Retry: [
            {
              ErrorEquals: ['ThrottlingException'],
              IntervalSeconds: 0.1,
              BackoffRate: 2,
              MaxAttempts: 2,
              MaxDelaySeconds: 0.15,
              JitterStrategy: jitter,
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recorded' }],
          End: true,
        },
        Recorded: { Type: 'Pass', End: true },
      },
    });
    let handler: () => unknown = flaky(2);
    const resolveHandler = () => () => handler();
    // Without jitter the delays are 0.1 s, then 0.2 s capped to 0.15 s; the third attempt succeeds.
    engine = createLocalWorkflowEngine({ definition: task('NONE'), resolveHandler });
    const retried = await engine.whenSettled(engine.startExecution({}).executionArn);
    assert.equal(retried.status, 'SUCCEEDED');
    assert.equal(attempts.length, 3);
    const [first = 0, second = 0, third = 0] = attempts;
    assert.ok(second - first >= 90 && third - second >= 140 && third - second < 190, JSON.stringify(attempts));
    engine.close();
    // With full jitter every delay is at most the capped backoff; one failure too many goes to the Catch.
    attempts.length = 0;
    handler = flaky(3);
    engine = createLocalWorkflowEngine({ definition: task('FULL'), resolveHandler });
    const caught = await engine.whenSettled(engine.startExecution({}).executionArn);
    assert.equal(caught.status, 'SUCCEEDED');
    assert.equal(attempts.length, 3);
    assert.equal(JSON.parse(caught.output ?? '{}').error?.Error, 'ThrottlingException');
    assert.ok((attempts[2] ?? 0) - (attempts[0] ?? 0) < 100 + 150 + 40, JSON.stringify(attempts));
  });
});

// The local Step Functions endpoint driven by the real @aws-sdk/client-sfn: tokens, errors, stop, idempotent
// start, the wire shapes, the AWS_ENDPOINT_URL_SFN variable, and Shipgate's own Step Functions adapter.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { StepFunctionsWorkflow } from '../../lambdas/adapters/sfn/step-functions-workflow.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../local/sfn-endpoint.ts';
import { createLocalWorkflowEngine, type LocalWorkflowEngine } from '../../local/workflow-engine.ts';

const root = join(import.meta.dirname, '..', '..');
const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-endpoint-test';
const executionArnOf = (name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** One approval gate: success approves, a `Rejected` task failure is caught into the rejected ending. */
const definition = {
  StartAt: 'Gate',
  States: {
    Gate: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:gate',
        Payload: { 'releaseId.$': '$.releaseId', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 3600,
      ResultPath: '$.approval',
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'RejectedEnd' }],
      Next: 'ApprovedEnd',
    },
    ApprovedEnd: { Type: 'Pass', Result: 'approved', ResultPath: '$.outcome', End: true },
    RejectedEnd: { Type: 'Pass', Result: 'rejected', ResultPath: '$.outcome', End: true },
  },
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** The gate's task token per execution, whichever comes first: the handler call or the test asking for it. */
const gateTokens = new Map<string, Deferred<string>>();
const gateToken = (executionArn: string): Deferred<string> => {
  let slot = gateTokens.get(executionArn);
  if (!slot) {
    slot = deferred<string>();
    gateTokens.set(executionArn, slot);
  }
  return slot;
};

function clientFor(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

let engine: LocalWorkflowEngine;
let server: SfnEndpoint;
let client: SFNClient;

before(async () => {
  engine = createLocalWorkflowEngine({
    definition,
    stateMachineArn,
    resolveHandler: (functionName) =>
      functionName.endsWith(':gate')
        ? (_payload, context) => {
            if (context.taskToken) gateToken(context.executionArn).resolve(context.taskToken);
          }
        : undefined,
  });
  server = await startSfnEndpoint({ engine });
  client = clientFor(server.endpoint);
});

after(async () => {
  client.destroy();
  await server.close();
  engine.close();
});

/** Starts an execution through the SDK and waits for its gate's token. */
async function startAtGate(name: string, input: unknown = { releaseId: name }) {
  const started = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  assert.ok(started.executionArn);
  return {
    executionArn: started.executionArn,
    startDate: started.startDate,
    token: await gateToken(started.executionArn).promise,
  };
}

/** A raw AWS JSON 1.0 call, to see the wire shapes the SDK hides. */
async function rawCall(target: string | undefined, body: string) {
  const response = await fetch(server.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      ...(target !== undefined ? { 'x-amz-target': target } : {}),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('local Step Functions endpoint', { timeout: 10_000 }, () => {
  it('listens on 127.0.0.1 only', () => {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('resumes a callback task on SendTaskSuccess, then answers TaskTimedOut and InvalidToken', async () => {
    const startedAt = Date.now();
    const { executionArn, startDate, token } = await startAtGate('release-ok');
    assert.equal(executionArn, executionArnOf('release-ok'));
    assert.ok(startDate instanceof Date);
    assert.ok(Math.abs(startDate.getTime() - startedAt) < 5000, `startDate ${startDate.toISOString()}`);

    const running = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(running.status, 'RUNNING');
    assert.equal(running.stateMachineArn, stateMachineArn);
    assert.equal(running.name, 'release-ok');
    assert.equal(running.stopDate, undefined);

    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: 'rita' }) }));
    await engine.whenSettled(executionArn);
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(done.status, 'SUCCEEDED');
    assert.ok(done.stopDate instanceof Date);
    assert.deepEqual(JSON.parse(done.output ?? 'null'), {
      releaseId: 'release-ok',
      approval: { approvedBy: 'rita' },
      outcome: 'approved',
    });
    assert.equal(done.input, JSON.stringify({ releaseId: 'release-ok' }));

    await assert.rejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), (error) => {
      assert.ok(error instanceof TaskTimedOut, String(error));
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(
      client.send(new SendTaskHeartbeatCommand({ taskToken: token })),
      (error) => error instanceof TaskTimedOut,
    );
    await assert.rejects(
      client.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'Rejected' })),
      (error) => error instanceof InvalidToken,
    );
  });

  it('routes a SendTaskFailure with a custom error into the Catch', async () => {
    const { executionArn, token } = await startAtGate('release-rejected');
    await client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'QA lead rejected the gate' }),
    );
    await engine.whenSettled(executionArn);
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output ?? 'null'), {
      releaseId: 'release-rejected',
      rejection: { Error: 'Rejected', Cause: 'QA lead rejected the gate' },
      outcome: 'rejected',
    });
  });

  it('aborts on StopExecution; the token is then closed and an unknown execution does not exist', async () => {
    const { executionArn, token } = await startAtGate('release-stopped');
    const stopped = await client.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'release cancelled by rita' }),
    );
    assert.ok(stopped.stopDate instanceof Date);
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(done.status, 'ABORTED');
    assert.equal(done.error, 'Cancelled');
    assert.equal(done.cause, 'release cancelled by rita');
    await assert.rejects(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      (error) => error instanceof TaskTimedOut,
    );
    await assert.rejects(
      client.send(new DescribeExecutionCommand({ executionArn: executionArnOf('never-started') })),
      (error) => error instanceof ExecutionDoesNotExist,
    );
    await assert.rejects(
      client.send(new StopExecutionCommand({ executionArn: executionArnOf('never-started') })),
      (error) => error instanceof ExecutionDoesNotExist,
    );
  });

  it('starts a name twice with the same input idempotently, and refuses another input', async () => {
    const first = await startAtGate('release-twice');
    const again = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'release-twice',
        input: JSON.stringify({ releaseId: 'release-twice' }),
      }),
    );
    assert.equal(again.executionArn, first.executionArn);
    await assert.rejects(
      client.send(
        new StartExecutionCommand({ stateMachineArn, name: 'release-twice', input: '{"releaseId":"other"}' }),
      ),
      (error) => error instanceof ExecutionAlreadyExists,
    );
    await client.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  });

  it('serves only its own state machine, and checks ARNs and required members', async () => {
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-other`, name: 'x', input: '{}' })),
      (error) => error instanceof StateMachineDoesNotExist,
    );
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })),
      (error) => error instanceof InvalidArn,
    );
    await assert.rejects(
      client.send(new DescribeExecutionCommand({ executionArn: stateMachineArn })),
      (error) => error instanceof InvalidArn,
    );
    const missing = await rawCall('AWSStepFunctions.SendTaskSuccess', '{"taskToken":"x"}');
    assert.equal(missing.status, 400);
    assert.equal(missing.body.__type, 'ValidationException');
    await assert.rejects(
      client.send(new SendTaskFailureCommand({ taskToken: 'x', error: 'E'.repeat(257) })),
      (error) => error instanceof ValidationException,
    );
  });

  it('speaks AWS JSON 1.0 on the wire: epoch-second dates and __type errors', async () => {
    const started = await rawCall(
      'AWSStepFunctions.StartExecution',
      JSON.stringify({ stateMachineArn, name: 'release-raw', input: '{"releaseId":"release-raw"}' }),
    );
    assert.equal(started.status, 200);
    assert.equal(typeof started.body.startDate, 'number');
    assert.ok(Math.abs(Number(started.body.startDate) - Date.now() / 1000) < 5);
    await gateToken(executionArnOf('release-raw')).promise;
    engine.stopExecution(executionArnOf('release-raw'));

    assert.deepEqual(await rawCall('AWSStepFunctions.SendTaskSuccess', '{"taskToken":"nope","output":"{}"}'), {
      status: 400,
      body: { __type: 'InvalidToken', message: 'Invalid Token' },
    });
    const unknown = await rawCall('AWSStepFunctions.CreateStateMachine', '{}');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.__type, 'UnknownOperationException');
    assert.equal((await rawCall(undefined, '{}')).body.__type, 'UnknownOperationException');
    assert.equal(
      (await rawCall('AWSStepFunctions.DescribeExecution', '{not json')).body.__type,
      'SerializationException',
    );
    // A page that reached the port through a rebound DNS name is refused (fetch cannot set Host; node:http can).
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const call = request(
        server.endpoint,
        { method: 'POST', headers: { host: 'evil.example', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      call.on('error', reject);
      call.end('{}');
    });
    assert.equal(rebound, 403);
  });

  it('is found through AWS_ENDPOINT_URL_SFN by a client built with no endpoint (a separate process)', async () => {
    const script = [
      "import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';",
      'const client = new SFNClient({});',
      'const out = await client.send(new StartExecutionCommand({',
      '  stateMachineArn: process.env.STATE_MACHINE_ARN, name: \'release-env\', input: \'{"releaseId":"release-env"}\',',
      '}));',
      'client.destroy();',
      'console.log(JSON.stringify({ executionArn: out.executionArn }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 8000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AWS_CONFIG_FILE: join(root, '.no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(root, '.no-aws-credentials'),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SFN: server.endpoint,
        STATE_MACHINE_ARN: stateMachineArn,
      },
    });
    const executionArn = executionArnOf('release-env');
    assert.deepEqual(JSON.parse(stdout), { executionArn });
    // The local engine ran it: its gate handler got a token.
    await gateToken(executionArn).promise;
    assert.equal(engine.describeExecution(executionArn).status, 'RUNNING');
    engine.stopExecution(executionArn);
  });

  it("serves Shipgate's Step Functions adapter unchanged", async () => {
    const workflow = new StepFunctionsWorkflow({ client, stateMachineArn });
    const executionArn = await workflow.start('release-adapter');
    assert.equal(executionArn, executionArnOf('release-adapter'));
    assert.equal(await workflow.start('release-adapter'), executionArn);
    const token = await gateToken(executionArn).promise;
    assert.equal(await workflow.succeed(token, { approvedBy: 'rita' }), true);
    // A spent token is not an error for the caller.
    assert.equal(await workflow.succeed(token, {}), false);
    assert.equal(await workflow.fail('garbage', 'Rejected', 'no'), false);
    assert.equal((await engine.whenSettled(executionArn)).status, 'SUCCEEDED');
    await workflow.stop(executionArnOf('never-started'), 'nothing to stop');
  });

  it('resumes one point in one execution through the adapter, and takes the next name once it ended', async () => {
    const workflow = new StepFunctionsWorkflow({ client, stateMachineArn });
    const name = 'release-resumed-resume-0123456789abcdef';
    // Twice at once and once more: StartExecution returns the running execution of that name.
    const [first, second] = await Promise.all([
      workflow.start('release-resumed', { resumeAs: name }),
      workflow.start('release-resumed', { resumeAs: name }),
    ]);
    assert.equal(first, executionArnOf(name));
    assert.equal(second, first);
    assert.equal(await workflow.start('release-resumed', { resumeAs: name }), first);
    const input = JSON.parse(engine.describeExecution(first).input);
    assert.equal(input.releaseId, 'release-resumed');
    assert.equal(input.resume, true);
    // It ended (here: stopped): its name is taken whatever the input, so the next resume is the next attempt.
    await workflow.stop(first, 'ended');
    const next = await workflow.start('release-resumed', { resumeAs: name });
    assert.equal(next, executionArnOf(`${name}-2`));
    assert.equal(await workflow.start('release-resumed', { resumeAs: name }), next);
    // A running execution of that name with another input (one started under another definition) is not reused.
    await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'other-point', input: JSON.stringify({ releaseId: 'x' }) }),
    );
    assert.equal(await workflow.start('x', { resumeAs: 'other-point' }), executionArnOf('other-point-2'));
    for (const arn of [next, executionArnOf('other-point'), executionArnOf('other-point-2')]) {
      await workflow.stop(arn, 'done');
    }
  });
});

describe('one endpoint serving two engines', { timeout: 10_000 }, () => {
  const releaseArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-endpoint-release';
  const escalationArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-endpoint-escalation';
  const executionOf = (machineArn: string, name: string) =>
    `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;

  /** The escalation chain in small: page someone, wait for the acknowledgement, record who acknowledged. */
  const escalationDefinition = {
    StartAt: 'Page',
    States: {
      Page: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:page',
          Payload: { 'taskToken.$': '$$.Task.Token' },
        },
        TimeoutSeconds: 3600,
        ResultPath: '$.ack',
        Next: 'Acknowledged',
      },
      Acknowledged: { Type: 'Pass', Result: 'acknowledged', ResultPath: '$.outcome', End: true },
    },
  };

  /** Task tokens by execution ARN and the handler that received them, to prove which engine issued each. */
  const issued = new Map<string, Deferred<string>>();
  const slot = (key: string): Deferred<string> => {
    let entry = issued.get(key);
    if (!entry) {
      entry = deferred<string>();
      issued.set(key, entry);
    }
    return entry;
  };
  const tokenHandler =
    (label: string) =>
    (_payload: unknown, context: { executionArn: string; taskToken?: string }): void => {
      if (context.taskToken) slot(`${label} ${context.executionArn}`).resolve(context.taskToken);
    };

  let release: LocalWorkflowEngine;
  let escalation: LocalWorkflowEngine;
  let shared: SfnEndpoint;
  let sfn: SFNClient;

  before(async () => {
    release = createLocalWorkflowEngine({
      definition,
      stateMachineArn: releaseArn,
      resolveHandler: (name) => (name.endsWith(':gate') ? tokenHandler('gate') : undefined),
    });
    escalation = createLocalWorkflowEngine({
      definition: escalationDefinition,
      stateMachineArn: escalationArn,
      resolveHandler: (name) => (name.endsWith(':page') ? tokenHandler('page') : undefined),
    });
    shared = await startSfnEndpoint({ engines: [release, escalation] });
    sfn = clientFor(shared.endpoint);
  });

  after(async () => {
    sfn.destroy();
    await shared.close();
    release.close();
    escalation.close();
  });

  /** Starts `name` on both state machines through the SDK and waits for both tokens. */
  async function startBoth(name: string) {
    const onRelease = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: releaseArn, name, input: JSON.stringify({ releaseId: name }) }),
    );
    const onEscalation = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: escalationArn, name, input: JSON.stringify({ incident: name }) }),
    );
    assert.equal(onRelease.executionArn, executionOf(releaseArn, name));
    assert.equal(onEscalation.executionArn, executionOf(escalationArn, name));
    const releaseExecution = executionOf(releaseArn, name);
    const escalationExecution = executionOf(escalationArn, name);
    return {
      releaseExecution,
      escalationExecution,
      releaseToken: await slot(`gate ${releaseExecution}`).promise,
      escalationToken: await slot(`page ${escalationExecution}`).promise,
    };
  }

  it('gives engines with different stateMachineArn options distinct ARNs', () => {
    assert.equal(release.stateMachineArn, releaseArn);
    assert.equal(escalation.stateMachineArn, escalationArn);
  });

  it('starts on each state machine and describes each execution through the right engine', async () => {
    // The same execution name on both machines: only the state machine name in the ARN tells them apart.
    const { releaseExecution, escalationExecution } = await startBoth('same-name');
    assert.equal(release.describeExecution(releaseExecution).status, 'RUNNING');
    assert.equal(escalation.describeExecution(escalationExecution).status, 'RUNNING');

    const onRelease = await sfn.send(new DescribeExecutionCommand({ executionArn: releaseExecution }));
    assert.equal(onRelease.stateMachineArn, releaseArn);
    assert.equal(onRelease.input, JSON.stringify({ releaseId: 'same-name' }));
    const onEscalation = await sfn.send(new DescribeExecutionCommand({ executionArn: escalationExecution }));
    assert.equal(onEscalation.stateMachineArn, escalationArn);
    assert.equal(onEscalation.input, JSON.stringify({ incident: 'same-name' }));

    // Stopping one leaves the other running.
    await sfn.send(new StopExecutionCommand({ executionArn: escalationExecution, error: 'Resolved' }));
    assert.equal(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: escalationExecution }))).status,
      'ABORTED',
    );
    assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn: releaseExecution }))).status, 'RUNNING');
    await sfn.send(new StopExecutionCommand({ executionArn: releaseExecution }));
  });

  it("resumes B's execution with B's token and leaves A's waiting; a used token is then TaskTimedOut", async () => {
    const { releaseExecution, escalationExecution, releaseToken, escalationToken } = await startBoth('tokens');
    assert.notEqual(releaseToken, escalationToken);

    // The escalation engine is second: the release engine is asked first and does not know the token.
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: escalationToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: escalationToken, output: '{"by":"oncall"}' }));
    const escalated = await escalation.whenSettled(escalationExecution);
    assert.equal(escalated.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(escalated.output ?? 'null'), {
      incident: 'tokens',
      ack: { by: 'oncall' },
      outcome: 'acknowledged',
    });
    const waiting = await sfn.send(new DescribeExecutionCommand({ executionArn: releaseExecution }));
    assert.equal(waiting.status, 'RUNNING');
    assert.equal(release.describeExecution(releaseExecution).output, undefined);

    for (const send of [
      () => sfn.send(new SendTaskSuccessCommand({ taskToken: escalationToken, output: '{}' })),
      () => sfn.send(new SendTaskFailureCommand({ taskToken: escalationToken, error: 'Rejected' })),
      () => sfn.send(new SendTaskHeartbeatCommand({ taskToken: escalationToken })),
    ]) {
      await assert.rejects(send(), (error) => error instanceof TaskTimedOut);
    }

    // A's token still works through the same endpoint, into A's Catch; then it too is spent.
    await sfn.send(new SendTaskFailureCommand({ taskToken: releaseToken, error: 'Rejected', cause: 'no' }));
    const released = await release.whenSettled(releaseExecution);
    assert.equal(released.status, 'SUCCEEDED');
    assert.equal(JSON.parse(released.output ?? 'null').outcome, 'rejected');
    await assert.rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken: releaseToken, output: '{}' })),
      (error) => error instanceof TaskTimedOut,
    );
  });

  it('answers InvalidToken for a token no engine issued, on every token call', async () => {
    for (const send of [
      () => sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' })),
      () => sfn.send(new SendTaskFailureCommand({ taskToken: 'garbage' })),
      () => sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'garbage' })),
    ]) {
      await assert.rejects(send(), (error) => error instanceof InvalidToken);
    }
  });

  it('answers StateMachineDoesNotExist and ExecutionDoesNotExist for machines it does not serve', async () => {
    const otherArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-endpoint-other';
    await assert.rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: otherArn, name: 'x', input: '{}' })),
      (error) => error instanceof StateMachineDoesNotExist,
    );
    // The state machine of the single-engine suite is not behind this endpoint.
    await assert.rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'x', input: '{}' })),
      (error) => error instanceof StateMachineDoesNotExist,
    );
    await assert.rejects(
      sfn.send(new DescribeExecutionCommand({ executionArn: executionOf(otherArn, 'x') })),
      (error) => error instanceof ExecutionDoesNotExist,
    );
    await assert.rejects(
      sfn.send(new StopExecutionCommand({ executionArn: executionOf(otherArn, 'x') })),
      (error) => error instanceof ExecutionDoesNotExist,
    );
    // A known machine, an execution it never ran.
    await assert.rejects(
      sfn.send(new DescribeExecutionCommand({ executionArn: executionOf(escalationArn, 'never-started') })),
      (error) => error instanceof ExecutionDoesNotExist,
    );
  });

  it('refuses, before listening, engine sets it could not route', async () => {
    const unused = { definition: escalationDefinition, resolveHandler: () => undefined };
    const sameName = createLocalWorkflowEngine({
      ...unused,
      stateMachineArn: escalationArn.replace('us-east-1', 'eu-west-1'),
    });
    const defaultA = createLocalWorkflowEngine(unused);
    const defaultB = createLocalWorkflowEngine(unused);
    const qualified = createLocalWorkflowEngine({ ...unused, stateMachineArn: `${escalationArn}:live` });
    try {
      assert.notEqual(sameName.stateMachineArn, escalation.stateMachineArn);
      await assert.rejects(startSfnEndpoint({ engines: [escalation, sameName] }), /share the state machine name/);
      await assert.rejects(startSfnEndpoint({ engines: [defaultA, defaultB] }), /share the state machine name/);
      await assert.rejects(startSfnEndpoint({ engines: [] }), TypeError);
      await assert.rejects(startSfnEndpoint({ engines: [qualified] }), /not a state machine ARN/);
    } finally {
      for (const engine of [sameName, defaultA, defaultB, qualified]) engine.close();
    }
  });
});

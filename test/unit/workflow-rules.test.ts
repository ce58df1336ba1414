// The workflow's rules alone: what a wait is, what ends it, and what a stale or repeated outcome does (nothing).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorRef } from '../../lambdas/core/auth/actor.ts';
import { RuleViolation } from '../../lambdas/core/errors.ts';
import type { Release, ReleaseAggregate, Wait } from '../../lambdas/core/release/release.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import {
  attemptName,
  MAX_EXECUTION_ATTEMPTS,
  MAX_EXECUTION_NAME_LENGTH,
  resumeExecutionName,
  startAttempts,
} from '../../lambdas/core/workflow/execution-names.ts';
import { decideCancel, decideRollbackRequest, durationMs, transition } from '../../lambdas/core/workflow/workflow.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { user } from '../support/fixtures.ts';

const toolbox = findBuiltInTemplate('toolboxai-v1');
assert.ok(toolbox);
const NOW = new Date('2026-11-21T10:00:00.000Z');
const rm = actorRef(user('rita', ['release-manager']));

function agg(release: Partial<Release>, template: Template = toolbox as Template): ReleaseAggregate {
  return {
    template,
    items: new Map(),
    signoffs: new Map(),
    release: {
      id: 'r1',
      templateId: template.id,
      templateName: template.name,
      name: 'r',
      version: '1',
      status: 'PRE_RELEASE',
      currentPhase: 'pre-release',
      stepIndex: 0,
      windowIndex: 0,
      revision: 4,
      createdAt: NOW.toISOString(),
      createdBy: rm,
      updatedAt: NOW.toISOString(),
      executionId: 'exec-1',
      ...release,
    },
  };
}

const window = (id: string, endsAt: string): Wait => ({
  id: `window:monitoring:${id}@t`,
  kind: 'window',
  phase: 'monitoring',
  window: id,
  since: NOW.toISOString(),
  endsAt,
});

describe('workflow transitions', () => {
  it('reads ISO durations of days, hours, minutes and seconds', () => {
    assert.equal(durationMs('PT2H'), 7_200_000);
    assert.equal(durationMs('P7D'), 604_800_000);
    assert.equal(durationMs('P1DT30M5S'), 86_400_000 + 1_800_000 + 5_000);
    assert.throws(() => durationMs('2 hours'), /ISO-8601/);
  });

  it('ignores a satisfied outcome for a wait the release has left: nothing changes, the current wait goes on', () => {
    const current = { id: 'gate:pre-release@new', kind: 'gate', phase: 'pre-release', since: 't' } as const;
    const step = transition(agg({ wait: current }), { kind: 'satisfied', waitId: 'gate:pre-release@old' }, NOW, {
      executionId: 'exec-1',
    });
    assert.equal(step.changed, false);
    assert.equal(step.release.revision, 4);
    assert.deepEqual(step.next, { action: 'await', wait: current, timeoutSeconds: 6 * 3600 });
  });

  it('passes a window on its timeout and opens the next one, its end time scaled', () => {
    const release = {
      status: 'MONITORING',
      currentPhase: 'monitoring',
      wait: window('immediate', NOW.toISOString()),
    } as const;
    const step = transition(agg(release), { kind: 'timeout', waitId: release.wait.id }, NOW, {
      timeScale: 3600,
      executionId: 'exec-1',
    });
    assert.equal(step.release.windowIndex, 1);
    assert.deepEqual(
      step.events.map((event) => event.type),
      ['window.passed', 'window.started'],
    );
    assert.equal(step.next.action, 'await');
    if (step.next.action !== 'await' || step.next.wait.kind !== 'window') throw new Error('expected a window');
    assert.equal(step.next.wait.window, 'extended');
    assert.equal(step.next.timeoutSeconds, 24);
    assert.equal(step.next.wait.endsAt, new Date(NOW.getTime() + 24_000).toISOString());
    assert.equal(step.release.revision, 5);
  });

  it('keeps the end time of a window when an execution resumes it', () => {
    const endsAt = new Date(NOW.getTime() + 90_000).toISOString();
    const release = { status: 'MONITORING', currentPhase: 'monitoring', wait: window('immediate', endsAt) } as const;
    const step = transition(agg(release), { kind: 'resume' }, NOW, { executionId: 'exec-2' });
    assert.equal(step.next.action === 'await' && step.next.timeoutSeconds, 90);
    assert.deepEqual(step.events, [{ type: 'workflow.started', data: { executionId: 'exec-2', resumed: true } }]);
    assert.equal(step.release.executionId, 'exec-2');
  });

  it('ends an execution that another one has taken over, without writing', () => {
    const step = transition(agg({}), { kind: 'satisfied', waitId: 'x' }, NOW, { executionId: 'exec-old' });
    assert.equal(step.changed, false);
    assert.deepEqual(step.next, { action: 'done', status: 'PRE_RELEASE' });
  });

  it('keeps waiting at a gate past its timeout, and reports it overdue only when the template sets a deadline', () => {
    const gate = { id: 'gate:pre-release@t', kind: 'gate', phase: 'pre-release', since: 't' } as const;
    const silent = transition(agg({ wait: gate }), { kind: 'timeout', waitId: gate.id }, NOW, {
      executionId: 'exec-1',
    });
    assert.equal(silent.changed, false);
    const withDeadline: Template = {
      ...toolbox,
      phases: toolbox.phases.map((phase) =>
        phase.id === 'pre-release' && phase.gate ? { ...phase, gate: { ...phase.gate, deadline: 'P2D' } } : phase,
      ),
    };
    const overdue = transition(agg({ wait: gate }, withDeadline), { kind: 'timeout', waitId: gate.id }, NOW, {
      executionId: 'exec-1',
    });
    assert.deepEqual(
      overdue.events.map((event) => event.type),
      ['gate.overdue'],
    );
    assert.equal(overdue.release.wait?.id, gate.id, 'the same gate goes on waiting');
  });

  it('starts the rollback when one was requested while no task waited', () => {
    const step = transition(
      agg({ status: 'ROLLBACK_REQUESTED', currentPhase: 'monitoring' }),
      { kind: 'resume' },
      NOW,
      {
        executionId: 'exec-1',
      },
    );
    assert.equal(step.release.status, 'ROLLING_BACK');
    assert.equal(step.next.action === 'await' && step.next.wait.kind, 'rollback');
  });

  it('allows a rollback from DEPLOYING on and a cancellation only before it', () => {
    assert.throws(
      () => decideRollbackRequest(agg({}).release, 'why', rm, 't'),
      (error: unknown) => error instanceof RuleViolation && error.code === 'rollback-not-allowed',
    );
    const deploying = agg({ status: 'DEPLOYING', currentPhase: 'deployment' }).release;
    assert.equal(decideRollbackRequest(deploying, 'login broken', rm, 't').status, 'ROLLBACK_REQUESTED');
    assert.throws(
      () => decideCancel(deploying, 't'),
      (error: unknown) => error instanceof RuleViolation && error.code === 'cancel-not-allowed',
    );
    assert.equal(decideCancel(agg({ status: 'STAGING' }).release, 't').status, 'CANCELLED');
  });
});

describe('the name of a resumed execution', () => {
  const gate: Wait = {
    id: 'gate:pre-release@2026-11-21T09:00:00.000Z',
    kind: 'gate',
    phase: 'pre-release',
    since: 't',
  };
  const stopped = agg({
    wait: gate,
    workflowFailure: { at: 't', error: 'TypeError', cause: 'x', state: 'Decide' },
  }).release;

  it('is the same for every resume of a release at one point: before and after a resume, whoever drives it', () => {
    const name = resumeExecutionName(stopped);
    assert.match(name, /^r1-resume-[0-9a-f]{16}$/);
    // What a resume and the resumed execution change (the failure, the execution, the revision) keep the name.
    const resumed = { ...stopped, workflowFailure: undefined, executionId: 'exec-2', revision: 9, updatedAt: 'u' };
    assert.equal(resumeExecutionName(resumed), name);
    // Another point of the release is another name.
    const later = { ...stopped, wait: { ...gate, id: 'gate:pre-release@2026-11-22T09:00:00.000Z' } };
    assert.notEqual(resumeExecutionName(later), name);
    assert.notEqual(resumeExecutionName({ ...stopped, status: 'ROLLBACK_REQUESTED', wait: undefined }), name);
    assert.notEqual(resumeExecutionName({ ...stopped, id: 'r2' }), name);
  });

  it('is a valid Step Functions name with room for its attempts, whatever the release id', () => {
    const name = resumeExecutionName({ ...stopped, id: 'R'.repeat(200) });
    const last = attemptName(name, MAX_EXECUTION_ATTEMPTS);
    assert.ok(last.length <= MAX_EXECUTION_NAME_LENGTH, last);
    assert.match(last, /^[\w-]+$/);
  });

  it('takes the next attempt while the names before are taken by ended executions, and gives up after the last', async () => {
    const ended = new Set(['n', 'n-2']);
    const tried: string[] = [];
    const start = async (name: string) => {
      tried.push(name);
      return ended.has(name) ? undefined : `arn:${name}`;
    };
    assert.equal(await startAttempts('n', start), 'arn:n-3');
    assert.deepEqual(tried, ['n', 'n-2', 'n-3']);
    await assert.rejects(
      startAttempts('n', async () => undefined),
      (error: unknown) => error instanceof RuleViolation && error.code === 'resumed-too-often',
    );
  });
});

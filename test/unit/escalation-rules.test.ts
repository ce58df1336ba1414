// The escalation chain's rules alone: who is paged when, and what ends a chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorRef } from '../../lambdas/core/auth/actor.ts';
import { RuleViolation } from '../../lambdas/core/errors.ts';
import type { Release } from '../../lambdas/core/release/release.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import {
  acknowledge,
  acknowledgingRoles,
  escalationStep,
  startEscalation,
} from '../../lambdas/core/workflow/escalation.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
import { user } from '../support/fixtures.ts';

const toolbox = findBuiltInTemplate('toolboxai-v1') as Template;
const mantis = findBuiltInTemplate('mantisdb-v1') as Template;
const NOW = new Date('2026-11-21T10:00:00.000Z');
const at = NOW.toISOString();
const release: Release = {
  id: 'r1',
  templateId: 'toolboxai-v1',
  templateName: 't',
  name: 'r',
  version: '1',
  status: 'ROLLBACK_REQUESTED',
  currentPhase: 'deployment',
  stepIndex: 0,
  windowIndex: 0,
  revision: 3,
  createdAt: at,
  createdBy: actorRef(user('rita', ['release-manager'])),
  updatedAt: at,
};

describe('escalation rules', () => {
  it('starts only where the template has a chain, and never twice at once', () => {
    assert.equal(startEscalation(release, mantis, 'rollback', 'why', 'e1', at), undefined);
    const started = startEscalation(release, toolbox, 'rollback', 'why', 'e1', at);
    assert.ok(started);
    assert.equal(started.release.escalation?.level, 0);
    assert.equal(startEscalation(started.release, toolbox, 'gate-overdue', 'pre-release', 'e2', at), undefined);
  });

  it('pages level 1 at the start, the next level on each timeout, and runs out after the last', () => {
    const started = startEscalation(release, toolbox, 'rollback', 'why', 'e1', at)?.release;
    assert.ok(started);
    const one = escalationStep(started, toolbox, 'e1', 'start', NOW, 1);
    assert.deepEqual(one.next, { action: 'await', level: 1, timeoutSeconds: 15 * 60 });
    assert.deepEqual(one.events[0]?.data.roles, ['release-manager', 'engineering-lead']);
    const two = escalationStep(one.release, toolbox, 'e1', 'timeout', NOW, 60);
    assert.deepEqual(two.next, { action: 'await', level: 2, timeoutSeconds: 15 });
    assert.deepEqual(two.events[0]?.data.roles, ['cto', 'product-manager']);
    const three = escalationStep(two.release, toolbox, 'e1', 'timeout', NOW, 1);
    assert.equal(three.release.escalation?.level, 3);
    const out = escalationStep(three.release, toolbox, 'e1', 'timeout', NOW, 1);
    assert.deepEqual(out.next, { action: 'done', state: 'exhausted' });
    assert.equal(out.events[0]?.type, 'escalation.exhausted');
  });

  it('ends quietly for an escalation the release no longer has, or one acknowledged', () => {
    const started = startEscalation(release, toolbox, 'rollback', 'why', 'e1', at)?.release;
    assert.ok(started);
    const stale = escalationStep(started, toolbox, 'other', 'start', NOW);
    assert.deepEqual([stale.changed, stale.next], [false, { action: 'done', state: 'superseded' }]);
    const paged = escalationStep(started, toolbox, 'e1', 'start', NOW).release;
    const acked = acknowledge(paged, actorRef(user('erin', ['engineering-lead'])), at, 'on it').release;
    assert.deepEqual(escalationStep(acked, toolbox, 'e1', 'timeout', NOW).next, {
      action: 'done',
      state: 'acknowledged',
    });
    assert.throws(
      () => acknowledge(acked, actorRef(user('erin', [])), at),
      (error: unknown) => error instanceof RuleViolation && error.code === 'nothing-to-acknowledge',
    );
  });

  it('lets the release manager and the chain roles acknowledge', () => {
    assert.deepEqual(acknowledgingRoles(toolbox).sort(), [
      'ceo',
      'cto',
      'engineering-lead',
      'executive',
      'product-manager',
      'release-manager',
    ]);
  });
});

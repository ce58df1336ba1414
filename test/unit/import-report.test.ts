// The generic recognition (optional items, metric targets, deployment steps, windows, rollback triggers and
// procedure, sign-offs, escalation) on a checklist worded unlike the built-ins, and the report the API answers with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importChecklist, importChecklistWithReport } from '../../lambdas/core/import/markdown-import.ts';
import { fixture } from '../support/checklists.ts';

const options = { id: 'payments', sourceFile: 'ops-runbook.md' };

describe('an operations runbook', () => {
  const { template, report } = importChecklistWithReport(fixture('ops-runbook.md'), options);

  it('reads its phases, steps, windows, rollback plan, sign-offs and escalation', () => {
    assert.deepEqual(
      template.phases.map((phase) => [phase.id, phase.name]),
      [
        ['pre-release', 'Preparation'],
        ['deployment', 'Production rollout'],
        ['monitoring', 'Monitoring'],
      ],
    );
    assert.deepEqual(
      template.phases[1]?.steps?.map((step) => step.itemId),
      ['canary', 'full-rollout'],
    );
    assert.deepEqual(
      template.phases[2]?.windows?.map((w) => [w.id, w.duration, w.rollbackPolicy]),
      [
        ['first-30-minutes', 'PT30M', 'automatic'],
        ['first-day', 'P1D', 'approval'],
      ],
    );
    assert.deepEqual(
      template.rollback.triggers.map((t) => [t.title, t.condition?.metric, t.condition?.sustainedMinutes]),
      [
        ['Error rate >2% sustained for 10 minutes', 'api.error_rate', 10],
        ['Payments failing for a merchant', undefined, undefined],
      ],
    );
    assert.deepEqual(
      template.rollback.procedure.map((s) => [s.title, s.items.map((i) => i.title)]),
      [['Procedure', ['Switch traffic back to the previous version', 'Page the on-call engineer']]],
    );
    const signoffs = template.phases[0]?.gate?.signoffs ?? [];
    assert.deepEqual(
      signoffs.map((s) => [s.role, s.required]),
      [
        ['engineering-manager', true],
        ['payments-lead', false],
      ],
    );
    assert.deepEqual(
      template.escalation.levels.map((l) => [l.level, l.roles]),
      [
        [1, ['on-call-engineer']],
        [2, ['engineering-manager', 'payments-lead']],
      ],
    );
    assert.equal(template.escalation.intervalMinutes, 10);
  });

  it('reports what it recognized', () => {
    assert.deepEqual(report, {
      name: 'Payments API release runbook',
      phases: [
        { id: 'pre-release', kind: 'pre-release', name: 'Preparation', sections: 1, items: 2 },
        { id: 'deployment', kind: 'deployment', name: 'Production rollout', sections: 1, items: 4 },
        { id: 'monitoring', kind: 'monitoring', name: 'Monitoring', sections: 2, items: 3 },
      ],
      gates: [
        { gate: 'pre-release', roles: ['engineering-manager', 'payments-lead'] },
        { gate: 'deployment', roles: [] },
        { gate: 'monitoring', roles: [] },
      ],
      items: { total: 11, manual: 7, automated: 1, metric: 3, optional: 1 },
      windows: 2,
      triggers: 2,
      escalationLevels: 2,
      successMetrics: 0,
      metadata: {},
      warnings: [],
    });
  });

  it('importChecklist returns the same template', () => {
    assert.deepEqual(importChecklist(fixture('ops-runbook.md'), options), template);
  });
});

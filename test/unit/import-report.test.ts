// The generic recognition (optional items, metric targets, deployment steps, windows, rollback triggers and
// procedure, sign-offs, escalation) on a checklist worded unlike the built-ins, and the report the API answers with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importChecklist, importChecklistWithReport } from '../../lambdas/core/import/markdown-import.ts';
import { NO_ON_CALL_WARNING, templateReport } from '../../lambdas/core/import/report.ts';
import { findBuiltInTemplate } from '../../templates/index.ts';
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
      // Its escalation names an on-call engineer, but no section says who is on call.
      warnings: [{ message: NO_ON_CALL_WARNING }],
    });
  });

  it('importChecklist returns the same template', () => {
    assert.deepEqual(importChecklist(fixture('ops-runbook.md'), options), template);
  });
});

describe('the on-call warning', () => {
  const onCallSection = ['', '## On-Call', '- **On-call engineer**: Dana - +14155550100', '- **SRE**: pager'];

  it('says that rollbacks go to the release manager only, and how to name on-call roles', () => {
    const { report } = importChecklistWithReport(fixture('ops-runbook.md'), options);
    const warning = report.warnings.find((w) => /on-call/.test(w.message));
    assert.equal(warning?.line, undefined);
    assert.match(warning?.message ?? '', /^no on-call role: rollbacks will go to the release manager only/);
    assert.match(warning?.message ?? '', /add a section titled "On-Call" \(or "Contacts"\) without checkboxes/);
    assert.match(warning?.message ?? '', /"- \*\*DevOps Engineer\*\*: name, phone"/);
  });

  it('is not given for a checklist with an on-call section, and the hint it gives imports as on-call roles', () => {
    const markdown = `${fixture('ops-runbook.md').trimEnd()}\n${onCallSection.join('\n')}\n`;
    const { template, report } = importChecklistWithReport(markdown, options);
    assert.deepEqual(
      template.onCall.map((entry) => entry.role),
      ['on-call-engineer', 'sre'],
    );
    assert.deepEqual(report.warnings, []);
    // The example the warning gives, as written, is read as an on-call role.
    const example = /e\.g\. "(.+?)"/.exec(NO_ON_CALL_WARNING)?.[1] ?? '';
    const hinted = importChecklistWithReport(
      `${fixture('ops-runbook.md').trimEnd()}\n\n## On-Call\n${example}\n`,
      options,
    );
    assert.deepEqual(
      hinted.template.onCall.map((entry) => entry.role),
      ['devops-engineer'],
    );
    assert.deepEqual(hinted.report.warnings, []);
  });

  it('is given for a JSON template without onCall entries (MantisDB), not for one with them (ToolBoxAI)', () => {
    const mantis = findBuiltInTemplate('mantisdb-v1');
    const toolbox = findBuiltInTemplate('toolboxai-v1');
    assert.ok(mantis && toolbox);
    assert.deepEqual(templateReport(mantis, []).warnings, [{ message: NO_ON_CALL_WARNING }]);
    assert.deepEqual(templateReport(toolbox, []).warnings, []);
  });
});

// The built-in templates and the Markdown importer: every checkbox line accounted for, JSON and importer in step,
// sources identical to the shared checklists, and the importer's rules on small documents.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ValidationFailed } from '../../lambdas/core/errors.ts';
import { roleSlug } from '../../lambdas/core/import/heuristics.ts';
import { importChecklist } from '../../lambdas/core/import/markdown-import.ts';
import { parseMetricCondition } from '../../lambdas/core/import/metrics.ts';
import { cleanDisplayText } from '../../lambdas/core/import/text.ts';
import {
  type Phase,
  phaseItems,
  Template,
  type TemplateItem,
  walkItems,
} from '../../lambdas/core/template/template.ts';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { importSources, renderTemplateJson, SOURCE_DIR, templateIdFromFileName } from '../../templates/sources.ts';

const SHARED_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'checklists');
const sources = importSources();

/** Checkbox lines found by a plain regex over the text, independent of markdown-it: line number -> line. */
function scanCheckboxLines(markdown: string): Map<number, string> {
  const found = new Map<number, string>();
  markdown.split('\n').forEach((line, index) => {
    if (/^\s*(?:[-*+]|\d{1,9}[.)])\s+\[[ xX]\](?:\s|$)/.test(line)) found.set(index + 1, line);
  });
  return found;
}

function allSections(template: Template) {
  return [
    ...template.phases.flatMap((phase) => phase.sections),
    ...template.rollback.procedure,
    ...template.rollback.validation,
  ];
}

function allItems(template: Template): TemplateItem[] {
  return allSections(template).flatMap((section) => [...walkItems(section.items)]);
}

function builtIn(id: string): Template {
  const template = findBuiltInTemplate(id);
  assert.ok(template, `built-in template ${id} exists`);
  return template;
}

function phaseOf(template: Template, kind: Phase['kind']): Phase {
  const phase = template.phases.find((p) => p.kind === kind);
  assert.ok(phase, `${template.id} has a ${kind} phase`);
  return phase;
}

function itemByTitle(template: Template, title: string): TemplateItem {
  const item = allItems(template).find((candidate) => candidate.title === title);
  assert.ok(item, `${template.id} has an item "${title}"`);
  return item;
}

describe('built-in templates: every checkbox line of the source is accounted for exactly once', () => {
  for (const { fileName, markdown, template } of sources) {
    it(fileName, () => {
      const checkboxes = scanCheckboxLines(markdown);
      assert.ok(checkboxes.size > 50, 'the scan finds the checklist lines');
      const recorded = [
        ...allItems(template).map((item) => ({
          line: item.source.line,
          text: item.source.text,
          what: `item ${item.id}`,
        })),
        ...template.mappings.map((m) => ({ line: m.line, text: m.text, what: `${m.as} ${m.ref}` })),
      ];
      for (const [line, text] of checkboxes) {
        const hits = recorded.filter((r) => r.line === line);
        assert.equal(
          hits.length,
          1,
          `line ${line} "${text}" recorded ${hits.length} times: ${hits.map((h) => h.what)}`,
        );
        assert.equal(hits[0]?.text, text, `line ${line} keeps its source text`);
      }
      // Anything recorded on a line that is not a checkbox must be a deployment step's section heading.
      const stepItemIds = new Set(template.phases.flatMap((phase) => phase.steps ?? []).map((step) => step.itemId));
      const sourceLines = markdown.split('\n');
      for (const item of allItems(template)) {
        if (checkboxes.has(item.source.line)) continue;
        assert.ok(stepItemIds.has(item.id), `item ${item.id} on non-checkbox line ${item.source.line} is a step`);
        assert.match(item.source.text, /^#{2,6}\s/);
        assert.equal(sourceLines[item.source.line - 1], item.source.text);
      }
      for (const mapping of template.mappings)
        assert.ok(checkboxes.has(mapping.line), `mapping on line ${mapping.line}`);
    });
  }
});

describe('built-in templates: committed data', () => {
  it('there is one JSON file per source, named by templateIdFromFileName', () => {
    assert.deepEqual(
      sources.map((s) => s.template.id),
      ['mantisdb-v1', 'toolboxai-v1'],
    );
    assert.equal(templateIdFromFileName('toolboxai-v1.1.0-release-checklist.md'), 'toolboxai-v1');
    assert.equal(templateIdFromFileName('Acme Checklist.md'), 'acme-checklist');
  });

  for (const { fileName, template, jsonPath } of sources) {
    it(`${fileName}: the JSON equals a fresh import and is canonical under the schema`, () => {
      const committed = readFileSync(jsonPath, 'utf8');
      assert.equal(committed, renderTemplateJson(template), 'run node scripts/build-templates.ts');
      const parsed: unknown = JSON.parse(committed);
      const validated = Template.parse(parsed);
      assert.deepEqual(validated, parsed, 'no field outside the contract');
      assert.equal(JSON.stringify(validated), JSON.stringify(parsed), 'keys in schema order');
      assert.equal(template.sourceFile, fileName);
    });
  }

  it('builtInTemplates serves the committed templates, frozen', () => {
    assert.deepEqual(
      builtInTemplates.map((t) => t.id),
      sources.map((s) => s.template.id),
    );
    for (const source of sources) assert.deepEqual(findBuiltInTemplate(source.template.id), source.template);
    assert.equal(findBuiltInTemplate('no-such-template'), undefined);
    assert.ok(Object.isFrozen(builtIn('mantisdb-v1').phases[0]));
  });

  it('sources are byte-identical to the shared checklists', {
    skip: !existsSync(SHARED_DIR) && 'no shared/checklists',
  }, () => {
    const shared = readdirSync(SHARED_DIR).filter((name) => name.endsWith('.md'));
    const local = readdirSync(SOURCE_DIR).filter((name) => name.endsWith('.md'));
    assert.deepEqual(local.sort(), shared.sort());
    for (const name of shared) {
      assert.ok(readFileSync(join(SOURCE_DIR, name)).equals(readFileSync(join(SHARED_DIR, name))), name);
    }
  });
});

describe('built-in templates: structure', () => {
  it('ToolBoxAI: phases in order, each gate named by its phase', () => {
    const t = builtIn('toolboxai-v1');
    assert.deepEqual(
      t.phases.map((p) => [p.id, p.kind]),
      [
        ['pre-release', 'pre-release'],
        ['staging', 'staging'],
        ['deployment', 'deployment'],
        ['monitoring', 'monitoring'],
        ['confirmation', 'confirmation'],
        ['follow-up', 'follow-up'],
      ],
    );
    for (const phase of t.phases) assert.equal(phase.gate?.id ?? phase.id, phase.id);
    assert.equal(phaseOf(t, 'follow-up').gate, null);
    assert.equal(phaseOf(t, 'staging').sections[0]?.items[0]?.title, 'Staging Environment');
    assert.equal(t.metadata['Release Type'], 'Minor Release (Feature Update)');
    assert.equal(t.metadata['Previous Version'], '1.0.0');
  });

  it('ToolBoxAI: the six measurable rollback triggers carry conditions, the others none', () => {
    const t = builtIn('toolboxai-v1');
    const measurable = t.rollback.triggers
      .filter((trigger) => trigger.condition)
      .map(({ title, condition }) => ({ title, condition }));
    assert.deepEqual(measurable, [
      {
        title: 'API error rate >1%',
        condition: { metric: 'api.error_rate', comparison: '>', threshold: 1, unit: 'Percent' },
      },
      {
        title: 'System availability <99%',
        condition: { metric: 'system.availability', comparison: '<', threshold: 99, unit: 'Percent' },
      },
      {
        title: 'API response time >500ms p95',
        condition: { metric: 'api.latency.p95', comparison: '>', threshold: 500, unit: 'Milliseconds' },
      },
      {
        title: 'Database query time >200ms',
        condition: { metric: 'db.query_time.avg', comparison: '>', threshold: 200, unit: 'Milliseconds' },
      },
      {
        title: 'Memory usage >2x normal',
        condition: { metric: 'memory.usage', comparison: '>', threshold: 2, unit: 'None', relativeToBaseline: true },
      },
      {
        title: 'CPU utilization >80% sustained',
        condition: { metric: 'cpu.utilization', comparison: '>', threshold: 80, unit: 'Percent', sustainedMinutes: 5 },
      },
    ]);
    const qualitative = t.rollback.triggers.filter((trigger) => !trigger.condition).map((trigger) => trigger.title);
    assert.ok(qualitative.includes('Data corruption detected'));
    assert.ok(qualitative.includes('User complaints >10% increase'), 'no metric in the vocabulary for complaints');
    assert.deepEqual(
      [...new Set(t.rollback.triggers.map((trigger) => trigger.category))],
      ['Critical System Issues', 'Performance Degradation'],
    );
  });

  it('ToolBoxAI: monitoring windows, escalation, on-call', () => {
    const t = builtIn('toolboxai-v1');
    const monitoring = phaseOf(t, 'monitoring');
    assert.deepEqual(
      monitoring.windows?.map((w) => [w.id, w.duration, w.rollbackPolicy]),
      [
        ['immediate', 'PT2H', 'automatic'],
        ['extended', 'PT24H', 'approval'],
        ['long-term', 'P7D', 'approval'],
      ],
    );
    for (const window of monitoring.windows ?? []) {
      assert.ok(
        monitoring.sections.some((section) => section.id === window.sectionId),
        window.sectionId,
      );
    }
    assert.deepEqual(
      t.escalation.levels.map((level) => [level.level, level.roles]),
      [
        [1, ['release-manager', 'engineering-lead']],
        [2, ['cto', 'product-manager']],
        [3, ['ceo', 'executive']],
      ],
    );
    assert.equal(t.escalation.intervalMinutes, 15);
    assert.deepEqual(
      t.onCall.map((person) => person.role),
      ['release-manager', 'backend-lead', 'frontend-lead', 'devops-engineer', 'security-lead'],
    );
    const roleIds = new Set(t.roles.map((role) => role.id));
    for (const role of [...t.escalation.levels.flatMap((l) => l.roles), ...t.onCall.map((p) => p.role)]) {
      assert.ok(roleIds.has(role), `role ${role} is listed`);
    }
  });

  it('ToolBoxAI: sign-off gates', () => {
    const t = builtIn('toolboxai-v1');
    assert.deepEqual(
      phaseOf(t, 'pre-release').gate?.signoffs.map((s) => s.role),
      ['engineering-manager', 'security-lead', 'qa-lead', 'devops-lead', 'product-manager'],
    );
    assert.deepEqual(
      phaseOf(t, 'pre-release').gate?.signoffs.map((s) => s.label),
      ['Engineering Manager', 'Security Team Lead', 'QA Team Lead', 'DevOps Lead', 'Product Manager'],
    );
    const confirmation = phaseOf(t, 'confirmation').gate?.signoffs ?? [];
    assert.deepEqual(
      confirmation.map((s) => s.role),
      ['release-manager', 'engineering-lead'],
    );
    assert.deepEqual(
      confirmation[0]?.criteria.map((c) => c.text),
      [
        'All deployment steps completed successfully',
        'Monitoring systems show healthy metrics',
        'No critical issues detected in first 2 hours',
      ],
    );
    for (const phase of ['staging', 'deployment', 'monitoring'] as const) {
      assert.deepEqual(phaseOf(t, phase).gate?.signoffs, [], `${phase} gate is its required items`);
    }
  });

  it('ToolBoxAI: four deployment steps in order, each a group item of the phase', () => {
    const t = builtIn('toolboxai-v1');
    const deployment = phaseOf(t, 'deployment');
    assert.deepEqual(
      deployment.steps?.map((step) => step.itemId),
      ['pre-deployment-checks', 'backend-deployment', 'frontend-deployment', 'service-verification'],
    );
    const ids = new Map(deployment.sections.flatMap((s) => [...walkItems(s.items)]).map((item) => [item.id, item]));
    for (const step of deployment.steps ?? []) assert.ok((ids.get(step.itemId)?.children.length ?? 0) > 0, step.id);
  });

  it('ToolBoxAI: rollback procedure, validation, success metrics; titles are cleaned, sources are not', () => {
    const t = builtIn('toolboxai-v1');
    assert.deepEqual(
      t.rollback.procedure.map((s) => s.title),
      ['Immediate Actions', 'Backend Rollback', 'Frontend Rollback', 'Verification'],
    );
    assert.deepEqual(
      t.rollback.validation.map((s) => [s.title, s.items.length]),
      [['System Health Restored', 5]],
    );
    assert.equal(t.successMetrics.length, 15);
    const latency = t.successMetrics.find((m) => m.title.startsWith('API latency p95'));
    assert.deepEqual(latency?.condition, {
      metric: 'api.latency.p95',
      comparison: '<',
      threshold: 200,
      unit: 'Milliseconds',
    });
    assert.equal(phaseOf(t, 'pre-release').name, 'Pre-Release Preparation');
    assert.equal(phaseOf(t, 'pre-release').source?.text, '## \uF8FFüìã Pre-Release Preparation');
    const p95 = itemByTitle(t, 'p95 latency: 142ms (target: <200ms)');
    assert.match(p95.source.text, /‚úÖ$/u);
    assert.equal(p95.kind, 'metric');
    for (const { item } of phaseItems(t)) assert.doesNotMatch(item.title, /[‚ü\uF8FF]/u, item.id);
  });

  it('MantisDB: sign-offs, optional items, rollback, deployment steps, monitoring without windows', () => {
    const t = builtIn('mantisdb-v1');
    assert.deepEqual(
      t.phases.map((p) => p.kind),
      ['pre-release', 'deployment', 'monitoring'],
    );
    const signoffs = phaseOf(t, 'pre-release').gate?.signoffs ?? [];
    assert.deepEqual(
      signoffs.map((s) => s.role),
      ['technical-lead', 'qa-lead', 'security-lead', 'product-manager', 'release-manager'],
    );
    assert.ok(signoffs.find((s) => s.role === 'release-manager')?.criteria.some((c) => c.text === 'READY FOR RELEASE'));
    assert.equal(itemByTitle(t, 'UPX compression applied').required, false);
    assert.equal(itemByTitle(t, 'Helm charts created').required, false);
    assert.equal(itemByTitle(t, 'Security audit completed').required, true);
    assert.equal(allItems(t).filter((item) => !item.required).length, 2);
    assert.deepEqual(
      t.rollback.procedure.map((s) => [s.title, s.items.length]),
      [
        ['Immediate Actions', 3],
        ['Investigation', 3],
        ['Resolution', 4],
      ],
    );
    assert.deepEqual(t.rollback.triggers, []);
    assert.deepEqual(t.escalation.levels, []);
    const deployment = phaseOf(t, 'deployment');
    assert.deepEqual(
      deployment.steps?.map((s) => s.name),
      ['Version Management', 'Build Artifacts', 'Distribution', 'Client Libraries'],
    );
    assert.deepEqual(
      deployment.sections.map((s) => s.items.map((i) => i.id)),
      (deployment.steps ?? []).map((s) => [s.itemId]),
    );
    const monitoring = phaseOf(t, 'monitoring');
    assert.deepEqual(monitoring.windows, []);
    assert.deepEqual(monitoring.gate?.signoffs, []);
    assert.equal(t.metadata.Status, 'In Progress');
    assert.equal(t.metadata['Release Date'], 'TBD');
    assert.match(t.metadata.Resources ?? '', /docs\.mantisdb\.io/);
    assert.deepEqual(itemByTitle(t, 'Latency benchmarks verified (<1ms p50)').metric, {
      metric: 'api.latency.p50',
      comparison: '<',
      threshold: 1,
      unit: 'Milliseconds',
    });
  });

  it('both: item, section and step ids are unique; kinds follow the heuristics', () => {
    for (const t of builtInTemplates) {
      const itemIds = allItems(t).map((item) => item.id);
      assert.equal(new Set(itemIds).size, itemIds.length, `${t.id} item ids`);
      const sectionIds = allSections(t).map((section) => section.id);
      assert.equal(new Set(sectionIds).size, sectionIds.length, `${t.id} section ids`);
      for (const item of allItems(t)) assert.equal(item.kind === 'metric', item.metric !== undefined, item.id);
      assert.deepEqual(t.separationOfDuties, { distinctSignersPerGate: true, creatorNotSoleApprover: true });
    }
    const toolbox = builtIn('toolboxai-v1');
    assert.equal(itemByTitle(toolbox, 'Verify asset loading').id, 'verify-asset-loading');
    assert.ok(
      allItems(toolbox).some((item) => item.id === 'verify-asset-loading-2'),
      'duplicate title deduplicated',
    );
    assert.equal(itemByTitle(toolbox, 'npm audit: 0 high/critical vulnerabilities').kind, 'automated');
    assert.equal(itemByTitle(toolbox, 'All Tests Passing').kind, 'automated');
    assert.equal(itemByTitle(toolbox, 'Downtime estimation confirmed: <5 minutes').kind, 'manual');
    const mantis = builtIn('mantisdb-v1');
    assert.equal(itemByTitle(mantis, 'Security audit completed').kind, 'manual');
    assert.equal(itemByTitle(mantis, 'Dependency audit completed').kind, 'automated');
    assert.equal(itemByTitle(mantis, 'Rust core compiles in release mode').kind, 'automated');
    assert.equal(itemByTitle(mantis, 'Penetration testing done').kind, 'manual');
  });
});

describe('importChecklist on small documents', () => {
  const importDoc = (markdown: string) => importChecklist(markdown, { id: 'test', sourceFile: 'test.md' });

  it('nests items, reads optional flags, cleans titles and keeps source text', () => {
    const t = importDoc(
      [
        '# Demo',
        '## Pre-Release',
        '### Checks',
        '- [x] **Group** ✅',
        '  - [ ] Child one (optional)',
        '    - [ ] Grandchild',
        '  - [ ] Child two',
        '- [ ] Loose item',
      ].join('\n'),
    );
    assert.equal(t.name, 'Demo');
    const [group, loose] = t.phases[0]?.sections[0]?.items ?? [];
    assert.equal(group?.title, 'Group');
    assert.equal(group?.source.text, '- [x] **Group** ✅');
    assert.deepEqual(
      group?.children.map((c) => [c.id, c.required, c.children.length]),
      [
        ['child-one', false, 1],
        ['child-two', true, 0],
      ],
    );
    assert.equal(group?.children[0]?.children[0]?.source.line, 6);
    assert.equal(loose?.id, 'loose-item');
  });

  it('reads metric conditions, and only conditions on known subjects', () => {
    assert.deepEqual(parseMetricCondition('Latency benchmarks verified (<1ms p50)'), {
      metric: 'api.latency.p50',
      comparison: '<',
      threshold: 1,
      unit: 'Milliseconds',
    });
    assert.deepEqual(parseMetricCondition('Memory usage >2x normal'), {
      metric: 'memory.usage',
      comparison: '>',
      threshold: 2,
      unit: 'None',
      relativeToBaseline: true,
    });
    assert.equal(parseMetricCondition('API latency p95: <200ms (target: 142ms)')?.threshold, 200);
    assert.equal(parseMetricCondition('p95 latency: 142ms (target: <200ms)')?.threshold, 200);
    assert.equal(parseMetricCondition('CPU utilization >80% sustained for 10 minutes')?.sustainedMinutes, 10);
    assert.deepEqual(parseMetricCondition('Dashboard load times: <3 seconds'), {
      metric: 'dashboard.load_time',
      comparison: '<',
      threshold: 3,
      unit: 'Seconds',
    });
    assert.equal(parseMetricCondition('System availability: >=99.9%')?.comparison, '>=');
    assert.equal(parseMetricCondition('Success rate: 99.98%'), undefined, 'a figure without comparator');
    assert.equal(parseMetricCondition('Python test suite: 95%+ pass rate'), undefined);
    assert.equal(parseMetricCondition('Downtime estimation confirmed: <5 minutes'), undefined, 'unknown subject');
    assert.equal(parseMetricCondition('Memory usage <2GB'), undefined, 'unknown unit');
  });

  it('normalises role labels and cleans emoji mojibake', () => {
    assert.equal(roleSlug('QA Team Lead'), 'qa-lead');
    assert.equal(roleSlug('Security Team Lead'), 'security-lead');
    assert.equal(roleSlug('Primary Release Manager'), 'release-manager');
    assert.equal(roleSlug('Executive Team'), 'executive');
    assert.equal(roleSlug('CTO'), 'cto');
    assert.equal(cleanDisplayText('\uF8FFüìã Pre-Release'), 'Pre-Release');
    assert.equal(cleanDisplayText('READY FOR RELEASE âœ…'), 'READY FOR RELEASE');
    assert.equal(cleanDisplayText('Checks ‚úÖ'), 'Checks');
    assert.equal(cleanDisplayText('Müller façade 🚀'), 'Müller façade');
  });

  it('turns sign-off, rollback, success-metric and contact sections into their structures', () => {
    const t = importDoc(
      [
        '# Demo',
        '## Pre-Release',
        '- [ ] Tests passing',
        '## Deployment',
        '### Go',
        '- [ ] **Steps**',
        '  1. [ ] **First**',
        '     - [ ] a',
        '  2. [ ] **Second**',
        '     - [ ] b',
        '## Post-Release Monitoring',
        '### Watch (First 30 minutes)',
        '- [ ] Error rate: <1%',
        '## Rollback Plan',
        '### Rollback Triggers',
        '- [ ] Error rate >5%',
        '### Rollback Procedures',
        '1. [ ] **Revert**',
        '   - [ ] Redeploy previous version',
        '## Success Metrics',
        '- [ ] Login success rate: >98%',
        '## Sign-off',
        '### Approvals',
        '- [ ] **QA Team Lead**: ____',
        '### Post-Release Confirmation',
        '- [ ] **Release Manager**: ____',
        '  - [ ] Verified',
        '## Contacts',
        '### Escalation',
        '1. **Level 1**: Release Manager (after 30 minutes)',
      ].join('\n'),
    );
    assert.deepEqual(
      t.phases.map((p) => p.kind),
      ['pre-release', 'deployment', 'monitoring', 'confirmation'],
    );
    assert.equal(t.phases[0]?.sections[0]?.items[0]?.kind, 'automated');
    assert.deepEqual(
      phaseOf(t, 'deployment').steps?.map((s) => s.itemId),
      ['first', 'second'],
    );
    assert.deepEqual(phaseOf(t, 'monitoring').windows?.[0], {
      id: 'watch',
      name: 'Watch (First 30 minutes)',
      duration: 'PT30M',
      sectionId: 'watch-first-30-minutes',
      rollbackPolicy: 'automatic',
    });
    assert.equal(t.rollback.triggers[0]?.condition?.threshold, 5);
    assert.equal(t.rollback.procedure[0]?.title, 'Revert');
    assert.equal(t.successMetrics[0]?.condition?.metric, 'login.success_rate');
    assert.deepEqual(
      phaseOf(t, 'pre-release').gate?.signoffs.map((s) => s.role),
      ['qa-lead'],
    );
    assert.deepEqual(
      phaseOf(t, 'confirmation').gate?.signoffs.map((s) => [s.role, s.criteria.length]),
      [['release-manager', 1]],
    );
    assert.deepEqual(t.escalation, {
      levels: [
        {
          level: 1,
          label: 'Level 1: Release Manager (after 30 minutes)',
          roles: ['release-manager'],
          source: { line: 30, text: '1. **Level 1**: Release Manager (after 30 minutes)' },
        },
      ],
      intervalMinutes: 30,
    });
    assert.deepEqual(
      t.mappings.map((m) => [m.line, m.as]),
      [
        [16, 'rollback-trigger'],
        [18, 'rollback-step'],
        [21, 'success-metric'],
        [24, 'signoff'],
        [26, 'signoff'],
        [27, 'signoff-criterion'],
      ],
    );
  });

  it('deduplicates ids deterministically', () => {
    const t = importDoc('# D\n## Pre-Release\n- [ ] Same\n- [ ] Same\n- [ ] Same\n## Follow-up\n- [ ] Same');
    assert.deepEqual(
      allItems(t).map((item) => item.id),
      ['same', 'same-2', 'same-3', 'same-4'],
    );
    assert.equal(phaseOf(t, 'follow-up').gate, null);
  });

  it('refuses only a document without a step, with ValidationFailed on body', () => {
    const refused = (error: unknown) =>
      error instanceof ValidationFailed && error.issues[0]?.field === 'body' && /holds no step/.test(error.message);
    assert.throws(() => importDoc('# Title only\n\nSome text.\n'), refused);
    assert.throws(() => importDoc('# T\n## Notes\nJust prose.\n'), refused);
    assert.throws(() => importDoc(''), refused);
    // Tasks without a heading, or above the first one, are steps like any other.
    assert.deepEqual(
      allItems(importDoc('- [ ] a\n- [ ] b\n')).map((item) => item.title),
      ['a', 'b'],
    );
    assert.deepEqual(
      allItems(importDoc('# T\n- [ ] stray\n## Pre-Release\n- [ ] a\n')).map((item) => item.title),
      ['stray', 'a'],
    );
  });
});

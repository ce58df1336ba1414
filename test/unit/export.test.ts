// Markdown exports: a template as a blank checklist and a release as a filled-in one, each read back by the importer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import { importChecklist } from '../../lambdas/core/import/markdown-import.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import { releaseContext } from '../../lambdas/core/release/context.ts';
import { releaseMarkdown } from '../../lambdas/core/release/export.ts';
import type { AuditEvent, ReleaseAggregate } from '../../lambdas/core/release/release.ts';
import { createRelease, listEvents } from '../../lambdas/core/release/release-use-cases.ts';
import { templateMarkdown } from '../../lambdas/core/template/export.ts';
import { inline } from '../../lambdas/core/template/markdown-text.ts';
import type { Template, TemplateItem } from '../../lambdas/core/template/template.ts';
import { builtInTemplates, findBuiltInTemplate } from '../../templates/index.ts';
import { fixedClock, sequentialIds, user } from '../support/fixtures.ts';
import { MemoryReleaseStore } from '../support/memory-store.ts';
import { RecordingWorkflow } from '../support/recording-workflow.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'checklists');

const itemShape = (items: readonly TemplateItem[]): unknown =>
  items.map((item) => ({
    title: item.title,
    kind: item.kind,
    required: item.required,
    children: itemShape(item.children),
  }));

/** What an export must keep: phases (kind, name), sections, items (title, nesting, kind, required), gates' roles. */
function structure(template: Template) {
  return template.phases.map((phase) => ({
    kind: phase.kind,
    name: phase.name,
    sections: phase.sections.map((section) => ({ title: section.title, items: itemShape(section.items) })),
    gate: phase.gate?.signoffs.map((signoff) => ({ role: signoff.role, required: signoff.required })) ?? null,
  }));
}

/** What the blank checklist keeps besides: steps, windows, sign-off criteria, the rollback plan, metrics, contacts. */
function details(template: Template) {
  const sections = (list: Template['rollback']['procedure']) =>
    list.map((section) => ({ title: section.title, items: itemShape(section.items) }));
  return {
    name: template.name,
    steps: template.phases.map((phase) => phase.steps?.map((step) => step.name)),
    windows: template.phases.map((phase) =>
      phase.windows?.map(({ id, duration, rollbackPolicy }) => [id, duration, rollbackPolicy]),
    ),
    criteria: template.phases.map((phase) => phase.gate?.signoffs.map((s) => [s.label, s.criteria.map((c) => c.text)])),
    triggers: template.rollback.triggers.map(({ title, category, condition }) => ({ title, category, condition })),
    procedure: sections(template.rollback.procedure),
    validation: sections(template.rollback.validation),
    metrics: template.successMetrics.map(({ title, category, condition }) => ({ title, category, condition })),
    escalation: template.escalation.levels.map(({ level, label, roles }) => ({ level, label, roles })),
    interval: template.escalation.intervalMinutes,
    onCall: template.onCall,
    metadata: template.metadata,
  };
}

const reimport = (markdown: string, id: string): Template => importChecklist(markdown, { id, sourceFile: `${id}.md` });

/** The built-in templates, and every fixture checklist that imports (others add fixtures; a broken one is theirs). */
function roundTripCases(): { name: string; template: Template }[] {
  const cases = builtInTemplates.map((template) => ({ name: template.id, template }));
  for (const file of readdirSync(FIXTURES).filter((name) => name.endsWith('.md'))) {
    try {
      cases.push({ name: file, template: reimport(readFileSync(join(FIXTURES, file), 'utf8'), 'fixture') });
    } catch {
      // Not importable today: nothing to round-trip.
    }
  }
  return cases;
}

describe('templateMarkdown', () => {
  for (const { name, template } of roundTripCases()) {
    it(`reads back as the same template: ${name}`, () => {
      const markdown = templateMarkdown(template);
      const back = reimport(markdown, template.id);
      assert.deepEqual(structure(back), structure(template));
      assert.deepEqual(details(back), details(template));
      assert.equal(templateMarkdown(back), markdown, 'exporting the re-import gives the same document');
    });
  }

  it('writes a blank checklist: open boxes, optional items marked, steps numbered, windows and sign-offs said', () => {
    const toolbox = findBuiltInTemplate('toolboxai-v1');
    const mantis = findBuiltInTemplate('mantisdb-v1');
    assert.ok(toolbox && mantis);
    const markdown = templateMarkdown(toolbox);
    assert.doesNotMatch(markdown, /\[x\]/);
    assert.match(markdown, /^ {2}1\. \[ \] Pre-deployment checks$/m);
    assert.match(markdown, /^Monitoring window: 2 hours \(PT2H\); .* at once\.$/m);
    assert.match(markdown, /^## Sign-offs$\n\n^### Pre-Release Approvals$/m);
    assert.match(markdown, /^- \[ \] \*\*QA Team Lead\*\*: _+ Date: _+$/m);
    assert.match(markdown, /^ {2}- \[ \] p95 latency: 142ms \(target: <200ms\)$/m);
    const blank = templateMarkdown(mantis);
    assert.match(blank, /^- \[ \] UPX compression applied \(optional\)$/m);
    assert.match(blank, /^### Version Management$\n\nDeployment step 1 of 4\.$/m);
  });

  it('escapes text so it reads back as itself, never as structure', () => {
    const hostile = [
      '**bold** _em_ `code` [link](x) <!-- c --> <http://x> &amp; # hash',
      'snake_case_name',
      'C# and F#',
    ];
    for (const text of hostile) {
      const back = reimport(`# T\n\n## Pre-release\n\n- [ ] ${inline(text)}\n`, 't');
      assert.equal(back.phases[0]?.sections[0]?.items[0]?.title, text.replace(/\s+/g, ' '));
    }
    assert.equal(inline('snake_case_name'), 'snake_case_name', 'underscores inside words open nothing');
  });
});

const rita = user('rita', ['release-manager']);
const tess = user('tess', ['qa-lead', 'devops-lead', 'security-lead']);
const quinn: Actor = { kind: 'user', id: 'quinn', name: 'Quinn Q.', roles: ['qa-lead'], scopes: [] };
const INJECTION = 'fine by me\n## Fake\n- [ ] injected\n- [x] also injected';
const mallory: Actor = {
  kind: 'user',
  id: 'mallory',
  name: 'Mallory\n## Fake\n- [ ] injected',
  roles: ['security-lead'],
  scopes: [],
};

/** A ToolBoxAI release in pre-release with items done, skipped and blocked and the gate partly signed. */
async function drivenRelease(): Promise<{ agg: ReleaseAggregate; trail: readonly AuditEvent[] }> {
  const toolbox = findBuiltInTemplate('toolboxai-v1');
  assert.ok(toolbox);
  const store = new MemoryReleaseStore();
  const ctx = releaseContext({
    store,
    templates: { list: () => [toolbox], get: (id) => (id === toolbox.id ? toolbox : undefined) },
    clock: fixedClock(),
    ids: sequentialIds(),
    workflow: new RecordingWorkflow(),
    backoff: async () => undefined,
  });
  const { id } = await createRelease(ctx, rita, { templateId: toolbox.id, name: 'Winter release', version: '1.1.0' });
  await updateItem(ctx, tess, id, 'python-test-suite', {
    status: 'done',
    evidence: { url: 'https://ci.example.com/runs/4711', note: 'all green' },
  });
  await updateItem(ctx, tess, id, 'bandit', { status: 'skipped', reason: 'covered by the security scan' });
  await updateItem(ctx, tess, id, 'docker-security', { status: 'blocked', reason: INJECTION });
  await updateItem(ctx, tess, id, 'npm-audit', { status: 'done', evidence: { note: INJECTION } });
  await recordSignoff(ctx, quinn, id, {
    gate: 'pre-release',
    role: 'qa-lead',
    decision: 'approve',
    comment: 'QA passed',
  });
  await recordSignoff(ctx, mallory, id, {
    gate: 'pre-release',
    role: 'security-lead',
    decision: 'reject',
    comment: INJECTION,
  });
  const agg = await store.load(id);
  assert.ok(agg);
  const trail = (await listEvents(ctx, rita, id, { limit: 200 })).items;
  return { agg, trail };
}

/** The lines of a list item's annotation paragraph after the item's line. */
function noteAfter(markdown: string, itemLine: RegExp): string {
  const lines = markdown.split('\n');
  const at = lines.findIndex((line) => itemLine.test(line));
  assert.ok(at >= 0, `no line matches ${itemLine}`);
  assert.equal(lines[at + 1], '', 'the annotation is a paragraph of its own');
  return lines[at + 2] ?? '';
}

describe('releaseMarkdown', () => {
  it('fills the checklist in: done items ticked with who, when and evidence; skipped and blocked with reasons', async () => {
    const { agg, trail } = await drivenRelease();
    const markdown = releaseMarkdown(agg, trail);
    assert.match(markdown, /^# Winter release \(version 1\.1\.0\)$/m);
    assert.match(markdown, /^- \*\*Template\*\*: Release Checklist v1\.1\.0 \(toolboxai-v1, version 1\)$/m);
    assert.match(markdown, /^- \*\*Status\*\*: PRE_RELEASE$/m);
    assert.match(markdown, /^- \*\*Current phase\*\*: Pre-Release Preparation \(pre-release\)$/m);
    assert.match(markdown, /^- \*\*Created\*\*: by rita at 2026-11-21T10:00:00\.000Z$/m);
    const done = noteAfter(markdown, /^ {2}- \[x\] Python test suite: 95%\+ pass rate/);
    assert.match(done, /^ {4}Done by tess at 2026-11-21T10:00:00\.000Z\. /);
    assert.match(done, /Evidence: <https:\/\/ci\.example\.com\/runs\/4711> Note: “all green”\./);
    const skipped = noteAfter(markdown, /^ {2}- \[ \] bandit: Security linting passed$/);
    assert.match(skipped, /Skipped by tess at .*\. Reason: “covered by the security scan”\./);
    assert.match(
      noteAfter(markdown, /^ {2}- \[ \] Docker security:/),
      /^ {4}Blocked by tess at .* Reason: “fine by me/,
    );
    assert.match(markdown, /^- \[ \] Dependency Security$\n\n {2}Blocked: an item below is blocked\.$/m);
    assert.match(markdown, /^ {2}- \[ \] TypeScript test suite/m, 'untouched items stay open');
  });

  it('records each sign-off with name, role, date, decision and comment', async () => {
    const { agg, trail } = await drivenRelease();
    const markdown = releaseMarkdown(agg, trail);
    assert.match(markdown, /^- \[x\] \*\*QA Team Lead\*\*: Approved$/m);
    assert.match(
      noteAfter(markdown, /^- \[x\] \*\*QA Team Lead\*\*/),
      /^ {2}Approved by Quinn Q\. \(quinn\) as QA Team Lead at 2026-11-21T10:00:00\.000Z: “QA passed”\.$/,
    );
    assert.match(markdown, /^- \[ \] \*\*Security Team Lead\*\*: Rejected$/m);
    assert.match(markdown, /^- \[ \] \*\*DevOps Lead\*\*: Pending$/m);
    assert.match(markdown, /No rollback was requested\./);
  });

  it('keeps hostile text as text: no injected heading, section, item or checkbox on re-import', async () => {
    const { agg, trail } = await drivenRelease();
    const markdown = releaseMarkdown(agg, trail);
    assert.doesNotMatch(markdown, /^\s*#+ Fake/m);
    assert.doesNotMatch(markdown, /^\s*[-*+] \[[ x]\] (also )?injected/m);
    assert.match(markdown, /Rejected by Mallory \\## Fake - \\\[ \\\] injected \(mallory\) as Security Team Lead/);
    const back = reimport(markdown, agg.template.id);
    assert.deepEqual(structure(back), structure(agg.template));
    const titles = back.phases.flatMap((phase) => phase.sections.map((section) => section.title));
    assert.ok(!titles.includes('Fake'));
  });

  it('reads back as its template, whatever the template', async () => {
    const { agg } = await drivenRelease();
    for (const { name, template } of roundTripCases()) {
      const fresh: ReleaseAggregate = { ...agg, template, items: new Map(), signoffs: new Map() };
      const back = reimport(releaseMarkdown(fresh, []), template.id);
      assert.deepEqual(structure(back), structure(template), name);
      assert.deepEqual(details(back).steps, details(template).steps, name);
    }
  });

  it('tells the rollback and the monitoring windows from the trail, and still reads back as the template', async () => {
    const { agg, trail } = await drivenRelease();
    const at = (minutes: number) => new Date(Date.parse('2026-11-22T10:00:00Z') + minutes * 60_000).toISOString();
    const event = (type: AuditEvent['type'], minutes: number, data: Record<string, unknown>): AuditEvent => ({
      id: `evt-${type}-${minutes}`,
      releaseId: agg.release.id,
      type,
      at: at(minutes),
      actor: { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' },
      data,
    });
    const later = [
      event('window.started', 0, { phase: 'monitoring', window: 'immediate' }),
      event('window.passed', 120, { phase: 'monitoring', window: 'immediate' }),
      event('window.started', 120, { phase: 'monitoring', window: 'extended' }),
      event('rollback.requested', 200, { reason: 'error rate', trigger: 'api-error-rate-1' }),
      event('rollback.started', 201, { reason: 'error rate' }),
      event('rollback.completed', 260, {}),
    ];
    const rolledBack: ReleaseAggregate = {
      ...agg,
      release: {
        ...agg.release,
        status: 'ROLLED_BACK',
        currentPhase: 'monitoring',
        rollback: {
          reason: 'API error rate 2.3% <!-- hidden --> ## Heading',
          requestedBy: { id: 'shipgate', name: 'Shipgate workflow', kind: 'machine' },
          requestedAt: at(200),
          trigger: 'api-error-rate-1',
        },
      },
    };
    const markdown = releaseMarkdown(rolledBack, [...trail, ...later]);
    assert.match(markdown, /^- \*\*Status\*\*: ROLLED_BACK$/m);
    assert.match(
      markdown,
      /Rollback requested by Shipgate workflow \(shipgate\), a machine client at 2026-11-22T13:20:00\.000Z/,
    );
    assert.match(
      markdown,
      /when the trigger “API error rate >1%” fired\. Reason: “API error rate 2\.3% \\<!-- hidden --> \\## Heading”\./,
    );
    assert.match(
      markdown,
      /^Rollback started at 2026-11-22T13:21:00\.000Z\. Outcome: rolled back at 2026-11-22T14:20:00\.000Z\.$/m,
    );
    assert.match(markdown, /^ {2}- \[x\] API error rate >1%$/m, 'the trigger that fired is ticked');
    assert.match(
      markdown,
      /^Window started at 2026-11-22T10:00:00\.000Z; passed at 2026-11-22T12:00:00\.000Z \(2 hours\)\.$/m,
    );
    assert.match(
      markdown,
      /^Window started at 2026-11-22T12:00:00\.000Z; did not pass \(the release is ROLLED_BACK\)\.$/m,
    );
    assert.match(markdown, /^Window not started\.$/m);
    assert.match(markdown, /^- \*\*Monitoring windows passed\*\*: 1 of 3$/m);
    const back = reimport(markdown, agg.template.id);
    assert.deepEqual(structure(back), structure(agg.template));
    assert.deepEqual(details(back).triggers, details(agg.template).triggers);
  });
});

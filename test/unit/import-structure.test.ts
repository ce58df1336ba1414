// How the importer finds phases and sections in real checklists: front matter, documents without headings, bold
// paragraphs as titles, headings from H3 down to H5, tasks above the first heading. Each fixture's steps are asserted
// exactly, as an outline of phases, sections and nested items.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_ON_CALL_WARNING } from '../../lambdas/core/import/report.ts';
import { fixture, load, outline } from '../support/checklists.ts';

describe('front matter', () => {
  it('is metadata and the template name, never a heading or a step', () => {
    const { template } = load(fixture('front-matter.md'));
    assert.equal(template.name, 'Release checklist');
    assert.deepEqual(template.metadata, {
      name: 'Release checklist',
      about: 'Track the steps of a new Widget release',
      title: 'Release vX.Y.Z',
      labels: 'release, needs triage',
    });
    assert.deepEqual(outline(template), [
      'pre-release: Before the release',
      '# Before the release',
      'Freeze the main branch',
      'Run the benchmark suite',
      'deployment: Release',
      '# Release',
      'Tag the release',
    ]);
  });

  it('holds whatever follows the closing fence, headings or not', () => {
    const { template, report } = load(fixture('front-matter-tight.md'));
    assert.equal(template.name, 'Patch release');
    assert.deepEqual(outline(template), [
      'pre-release: Checklist',
      '# Checklist',
      'Cherry-pick the fixes',
      'Publish the patch',
    ]);
    assert.ok(report.warnings.some((w) => w.message === 'no heading: the steps form one pre-release phase'));
  });

  it('is only front matter when it is closed and reads as YAML', () => {
    // A document opening with a thematic break keeps every step.
    const open = load('---\n- [ ] One\n- [ ] Two\n').template;
    assert.deepEqual(outline(open).slice(2), ['One', 'Two']);
    const broken = load('---\nname: "unclosed\n---\n- [ ] Step\n');
    assert.deepEqual(outline(broken.template).slice(2), ['Step']);
    const warning = broken.report.warnings.find((w) => /front matter is not valid YAML/.test(w.message));
    assert.equal(warning?.line, 1);
  });
});

describe('documents without headings, and bold titles', () => {
  it('reads bold paragraphs as section titles, facts as metadata, tasks after a rule in their section', () => {
    const { template } = load(fixture('bold-titles.md'));
    assert.deepEqual(template.metadata, { Version: '2.4.0', 'Target date': 'YYYY-MM-DD' });
    assert.deepEqual(outline(template), [
      'pre-release: Blocking issues / Before release',
      '# Blocking issues',
      'Fix the importer crash (#123)',
      '# Before release',
      'Update the changelog',
      'Bump the version',
      '  In pyproject.toml',
      '  In docs/conf.py',
      'deployment: Release',
      '# Release',
      'Draft the GitHub release',
      'Upload the wheels',
      'monitoring: After release',
      '# After release',
      'Announce on the forum',
      'Celebrate :tada:',
    ]);
  });

  it('makes one pre-release phase of a bare task list', () => {
    const { template, report } = load('- [ ] a\n- [ ] b\n');
    assert.deepEqual(outline(template), ['pre-release: Checklist', '# Checklist', 'a', 'b']);
    assert.equal(template.phases[0]?.source, undefined, 'a composed phase has no source heading');
    assert.ok(report.warnings.some((w) => /^no heading/.test(w.message)));
  });
});

describe('headings', () => {
  it('starts phases at the shallowest level, whatever it is; decorations go, code, URLs and placeholders stay', () => {
    const { template } = load(fixture('deep-headings.md'));
    assert.deepEqual(outline(template), [
      'pre-release: Testing',
      '# Unit',
      'Run make test on https://ci.example.com',
      '# Integration',
      'Run the integration suite against {environment}',
      'deployment: Deploy v<VERSION> to https://prod.example.com',
      '# Deploy v<VERSION> to https://prod.example.com',
      'Deploy <VERSION>',
      'Smoke-check $VERSION',
    ]);
  });

  it('takes steps above the first heading into the first phase, under the title', () => {
    const { template, report } = load(fixture('tasks-before-heading.md'));
    assert.equal(template.name, 'Release 3.0');
    assert.deepEqual(outline(template), [
      'pre-release: Release 3.0 / Pre-release',
      '# Release 3.0',
      'Open the release issue',
      'Pick a release manager',
      'Tell the team in #releases',
      'Agree on the date',
      '# Pre-release',
      'Merge the last feature',
      './scripts/check-licenses.sh --strict',
    ]);
    const messages = report.warnings.map((w) => [w.line, w.message]);
    assert.deepEqual(messages, [
      [undefined, 'no sign-off section: gate pre-release requires no role'],
      [3, 'steps before the first heading: they open the pre-release phase'],
      [6, '2 items were pre-checked; a template starts blank'],
      [14, 'an empty task, not imported'],
      [undefined, NO_ON_CALL_WARNING],
    ]);
    const code = template.phases[0]?.sections[1]?.items[1];
    assert.equal(code?.description, '```sh\n./scripts/check-licenses.sh --strict\n```');
  });

  it('keeps consecutive parts of one kind in one phase, and apart across other parts', () => {
    const { template } = load('## Prepare\n- [ ] a\n## Sign-off\n- [ ] **QA**: ___\n## Preparation\n- [ ] b\n');
    assert.deepEqual(
      template.phases.map((phase) => phase.id),
      ['pre-release', 'pre-release-2'],
    );
  });
});

// List shapes of real checklists: task markers, numbered steps without checkboxes, plain bullets among tasks, notes,
// nesting by two or four spaces or tabs, under-indented children, lazy continuation lines, and lists split by
// column-0 code fences. Each fixture's items are asserted exactly, nesting included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Template, TemplateItem } from '../../lambdas/core/template/template.ts';
import { fixture, load, outline } from '../support/checklists.ts';

const items = (template: Template): TemplateItem[] => {
  const all: TemplateItem[] = [];
  const walk = (list: readonly TemplateItem[]): void => {
    for (const item of list) {
      all.push(item);
      walk(item.children);
    }
  };
  for (const phase of template.phases) for (const section of phase.sections) walk(section.items);
  return all;
};

describe('numbered steps without checkboxes', () => {
  it('makes every numbered step and every bullet under it an item, whatever the numbering', () => {
    const { template, report } = load(fixture('numbered-steps.md'));
    assert.deepEqual(outline(template), [
      'pre-release: Steps',
      '# Steps',
      'Create a branch release/X.Y.Z.',
      'Update the version:',
      '  setup.cfg',
      '  widget/__init__.py',
      'Open a pull request.',
      'Wait for CI to pass.',
      'Merge the pull request.',
      'Tag the merge commit.',
      'monitoring: After the release',
      '# After the release',
      'Publish the documentation.',
      '  Check that the new version is listed.',
    ]);
    assert.equal(template.description, 'Follow these steps for every release.');
    assert.ok(report.warnings.some((w) => /^no checkbox/.test(w.message)));
    assert.ok(items(template).every((item) => item.source.text.includes(item.title.slice(0, 8))));
  });

  it('reads plain bullets under a phase heading as steps, and lists under "Notes" as information', () => {
    const markdown = '## Release\n- [ ] Tag\n## After release\n- Announce it\n## Notes\n- Tuesdays only\n';
    const { template } = load(markdown);
    assert.deepEqual(outline(template), [
      'deployment: Release',
      '# Release',
      'Tag',
      'monitoring: After release',
      '# After release',
      'Announce it',
    ]);
    assert.equal(template.metadata.Notes, '- Tuesdays only');
  });
});

describe('mixed lists', () => {
  it('keeps plain bullets, notes, numbered sub-steps and every nesting style where the author put them', () => {
    const { template } = load(fixture('mixed-lists.md'));
    assert.deepEqual(outline(template), [
      'pre-release: Preparation',
      '# Preparation',
      'Update the changelog',
      'If this is a major release:',
      '  Write the migration guide',
      '  Update the deprecation table',
      'Run the release script',
      '  Check out main',
      '  Run ./release.sh',
      '    Tag pushed (under-indented: still a child of the step above)',
      'Check the artefacts',
      '  Checksums match (nested by four spaces)',
      '  Signatures verify (nested by a tab)',
      'Confirm the release notes lazily continued on a second line',
      'deployment: Deployment',
      '# Deployment',
      'Build the images',
      'Push the images',
      '  Tag them latest',
      '  Verify the digests',
      'Roll out',
    ]);
    const byTitle = new Map(items(template).map((item) => [item.title, item]));
    assert.equal(
      byTitle.get('Update the changelog')?.description,
      '- Note: the changelog is generated from pull request titles.',
    );
    assert.equal(byTitle.get('Build the images')?.description, '```sh\nmake images\n```');
    assert.equal(byTitle.get('Push the images')?.description, '```sh\nmake push\n```');
    const deployment = template.phases.find((phase) => phase.kind === 'deployment');
    assert.deepEqual(
      deployment?.steps?.map((step) => step.name),
      ['Build the images', 'Push the images', 'Roll out'],
    );
  });

  it('reads `- [ ]`, `* [ ]`, `+ [ ]`, numbered tasks and `[x]` alike, and warns about ticked boxes', () => {
    const { template, report } = load('## Go\n- [ ] a\n* [ ] b\n+ [x] c\n1. [X] d\n2) [ ] e\n');
    assert.deepEqual(outline(template).slice(2), ['a', 'b', 'c', 'd', 'e']);
    assert.ok(
      report.warnings.some((w) => w.line === 4 && w.message === '2 items were pre-checked; a template starts blank'),
    );
  });

  it('drops empty list items instead of inventing steps', () => {
    const { template } = load('## Go\n- [ ] a\n-\n- [ ]\n- b\n');
    assert.deepEqual(outline(template).slice(2), ['a', 'b']);
  });
});

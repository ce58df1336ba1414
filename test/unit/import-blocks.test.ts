// Blocks that are not steps (code, quotes, tables, `<details>`, thematic breaks, link reference definitions) become
// the description of the step or section they belong to; links, URLs, shortcodes and placeholders stay as written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture, load } from '../support/checklists.ts';

describe('blocks inside and between steps', () => {
  it('keeps code, quotes, tables and <details> as descriptions, never as items', () => {
    const { template } = load(fixture('blocks.md'));
    const [section] = template.phases[0]?.sections ?? [];
    assert.equal(
      section?.description,
      'Run everything from a clean checkout.\n\n> A quote after a paragraph describes the section.',
    );
    // Prose after a thematic break is about the whole release.
    assert.equal(template.description, 'Then check the mirrors.');
    assert.deepEqual(
      section?.items.map((item) => [item.title, item.children.length, item.description]),
      [
        ['Build the release', 0, '```sh\nmake release\n```\n\n> Takes about ten minutes.'],
        ['Review the dependency table', 0, '| Package | Minimum |\n|---------|---------|\n| foo     | 1.2     |'],
        [
          'Read the release guide',
          0,
          '<details>\n<summary>Old process</summary>\n\n- [ ] Email the list\n- [ ] Fax the notes\n\n</details>',
        ],
        ['Publish the build', 0, '```\npublish --all\n```'],
      ],
    );
  });

  it('ends an unclosed <details> at the first blank line, so the steps below it stay steps', () => {
    const { template } = load('## Go\n- [ ] a\n\n<details><summary>x</summary>\n\n- [ ] b\n');
    assert.deepEqual(
      template.phases[0]?.sections[0]?.items.map((item) => item.title),
      ['a', 'b'],
    );
  });
});

describe('links and placeholders in titles', () => {
  it('resolves reference links, keeps autolinks, bare URLs, shortcodes and placeholders as written', () => {
    const { template } = load(fixture('links-placeholders.md'));
    assert.deepEqual(
      template.phases[0]?.sections[0]?.items.map((item) => item.title),
      [
        'Update the changelog',
        'Publish the release notes',
        'Post the announcement :rocket:',
        'Check https://status.example.com and https://example.com/health',
        'Replace {version}, $VERSION, <VERSION> and __RELEASE_ISSUE__',
        'Unknown [reference] stays as written',
      ],
    );
  });
});

describe('HTML comments', () => {
  it('reports each comment that hid list items or headings, by line', () => {
    const { report } = load(fixture('html-comments.md'));
    assert.deepEqual(
      report.warnings.filter((w) => w.line !== undefined),
      [
        { line: 3, message: 'inside an HTML comment, not imported (2 list item(s) and 1 heading(s))' },
        { line: 17, message: 'inside an HTML comment, not imported (1 list item(s) and 1 heading(s))' },
      ],
    );
  });
});

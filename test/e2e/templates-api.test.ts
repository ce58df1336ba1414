// Bring your own checklist over the local HTTP API: a team's Markdown becomes a stored, versioned template (with a
// preview first), releases keep the version they were made from, any release exports back to Markdown, and bad
// input gets a problem that says what to change with nothing half-saved.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { drive, driver } from '../support/drive.ts';
import {
  api,
  assertProblem,
  type LocalProcess,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  tokenFor,
} from '../support/local-process.ts';

const CHECKLIST = `---
name: Web release
about: The steps of a web release
labels: release
---

# Web release checklist

## Before release
- [ ] Run the full test suite
- [ ] Update the changelog
  - [ ] Link every pull request

## Deploy to production
1. Deploy the API
2. Deploy the web app

## Sign-off
- [ ] **QA Lead**: ____
`;

const markdown = { 'content-type': 'text/markdown' };

describe('templates over the local HTTP API', () => {
  let dataDir: string;
  let local: LocalProcess;
  let rm: string;
  let qa: string;

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
    qa = await tokenFor(dataDir, 'quinn', ['qa-lead']);
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  const importChecklist = (query: string, body: string, headers: Record<string, string> = markdown, token = rm) =>
    api(local.url, 'POST', `/templates${query}`, { token, rawBody: body, headers });

  it('previews an import with dryRun: the template and the report, and nothing saved', async () => {
    const preview = await importChecklist('?id=web-release&dryRun=true', CHECKLIST);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.dryRun, true);
    assert.equal(preview.body.version, 1);
    assert.equal(preview.body.template.id, 'web-release');
    assert.ok(preview.body.report.items.total >= 4, JSON.stringify(preview.body.report));
    assert.ok(Array.isArray(preview.body.report.warnings));
    const missing = await api(local.url, 'GET', '/templates/web-release', { token: rm });
    assertProblem(missing, 404, 'a dry run saves nothing');
  });

  it('imports a checklist as version 1 (201, Location), lists it, and starts a release from it at once', async () => {
    const created = await importChecklist('?id=web-release', CHECKLIST);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), '/templates/web-release/versions/1');
    assert.equal(created.body.version, 1);
    const listed = await api(local.url, 'GET', '/templates', { token: qa });
    const entry = listed.body.items.find((item: { id: string }) => item.id === 'web-release');
    assert.equal(entry?.version, 1, JSON.stringify(listed.body));
    assert.ok(
      listed.body.items.some((item: { id: string }) => item.id === 'toolboxai-v1'),
      'built-ins stay',
    );
    const release = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'web-release', name: 'Web 5.0', version: '5.0.0' },
    });
    assert.equal(release.status, 201, JSON.stringify(release.body));
    assert.equal(release.body.templateVersion, 1);
    const titles = JSON.stringify(release.body.phases);
    for (const step of ['Run the full test suite', 'Link every pull request', 'Deploy the API']) {
      assert.ok(titles.includes(step), `${step} is a step of the release`);
    }
  });

  it('adds version 2 on a re-import; a release from version 1 stays on version 1, and versions stay readable', async () => {
    const first = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'web-release', templateVersion: 1, name: 'Web 5.1', version: '5.1.0' },
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const changed = CHECKLIST.replace(
      '- [ ] Update the changelog',
      '- [ ] Update the changelog\n- [ ] Tag the release',
    );
    const second = await importChecklist('?id=web-release', changed);
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal(second.body.version, 2);
    const latest = await api(local.url, 'GET', '/templates/web-release', { token: rm });
    assert.equal(latest.body.version, 2);
    assert.ok(JSON.stringify(latest.body.phases).includes('Tag the release'));
    const v1 = await api(local.url, 'GET', '/templates/web-release/versions/1', { token: rm });
    assert.equal(v1.body.version, 1);
    assert.ok(!JSON.stringify(v1.body.phases).includes('Tag the release'), 'version 1 never changes');
    const kept = await api(local.url, 'GET', `/releases/${first.body.id}`, { token: rm });
    assert.equal(kept.body.templateVersion, 1);
    assert.ok(!JSON.stringify(kept.body.phases).includes('Tag the release'), 'the release keeps its version');
    const unknown = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'web-release', templateVersion: 7, name: 'Web 9', version: '9.0.0' },
    });
    const problem = assertProblem(unknown, 400, 'an unknown version');
    assert.ok(problem.errors.some((issue: { field: string }) => issue.field === 'templateVersion'));
    assert.match(problem.errors[0].message, /versions are 1 to 2/);
  });

  it('makes version 2 of a built-in on an import to its id; version 1 is the built-in', async () => {
    const response = await importChecklist('?id=mantisdb-v1', CHECKLIST);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.version, 2);
    const v1 = await api(local.url, 'GET', '/templates/mantisdb-v1/versions/1', { token: rm });
    assert.equal(v1.body.builtIn, true);
    assert.match(v1.body.name, /MantisDB/);
  });

  it('imports a template document (JSON), validated against the contract, naming the bad field', async () => {
    const toolbox = await api(local.url, 'GET', '/templates/toolboxai-v1', { token: rm });
    const { version: _v, builtIn: _b, ...document } = toolbox.body;
    const json = { 'content-type': 'application/json' };
    const copied = await importChecklist('?id=toolbox-copy', JSON.stringify(document), json);
    assert.equal(copied.status, 201, JSON.stringify(copied.body).slice(0, 500));
    assert.equal(copied.body.template.id, 'toolbox-copy');
    const broken = await importChecklist('?id=broken', JSON.stringify({ ...document, phases: 'none' }), json);
    const problem = assertProblem(broken, 400, 'a document that breaks the contract');
    assert.ok(
      problem.errors.some((issue: { field: string }) => issue.field === 'body.phases'),
      JSON.stringify(problem),
    );
  });

  it('refuses bad input with a problem that says what to change, and saves nothing', async () => {
    const cases: [string, string, Record<string, string>, string][] = [
      ['?id=empty', '   \n', markdown, 'body'],
      ['?id=no-steps', '# Notes\n\nJust some prose, no step at all.\n', markdown, 'body'],
      ['?id=bad-type', CHECKLIST, { 'content-type': 'application/xml' }, 'content-type'],
      ['?id=Not_A_Slug', CHECKLIST, markdown, 'id'],
      ['?id=x&dryRun=maybe', CHECKLIST, markdown, 'dryRun'],
    ];
    for (const [query, body, headers, field] of cases) {
      const response = await importChecklist(query, body, headers);
      const problem = assertProblem(response, 400, `${query} ${JSON.stringify(response.body).slice(0, 300)}`);
      assert.ok(
        problem.errors?.some((issue: { field: string }) => issue.field === field),
        `${query} names ${field}: ${JSON.stringify(problem)}`,
      );
    }
    const latin1 = await fetch(`${local.url}/templates?id=latin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rm}`, 'content-type': 'text/markdown' },
      body: Buffer.from('# Caf\xe9\n- [ ] \xe9tape\n', 'latin1'),
    });
    assert.equal(latin1.status, 400);
    assert.match(JSON.stringify(await latin1.json()), /not UTF-8/);
    const huge = await importChecklist('?id=huge', `# Huge\n${'- [ ] step\n'.repeat(300_000)}`);
    assertProblem(huge, 413, 'over the size limit');
    const forbidden = await importChecklist('?id=by-qa', CHECKLIST, markdown, qa);
    assert.equal(assertProblem(forbidden, 403, 'only a template manager imports').permission, 'templates:manage');
    for (const id of ['empty', 'no-steps', 'bad-type', 'latin', 'huge', 'by-qa']) {
      assertProblem(await api(local.url, 'GET', `/templates/${id}`, { token: rm }), 404, `${id} was not saved`);
    }
  });

  it('runs a release of an imported issue-template checklist through every phase to COMPLETED', async () => {
    const source = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'checklists', 'issue-template-release.md'));
    const imported = await importChecklist('?id=gh-release', source.toString('utf8'));
    assert.equal(imported.status, 201, JSON.stringify(imported.body).slice(0, 500));
    assert.equal(imported.body.report.metadata.labels, 'release', 'the front matter is metadata');
    const d = driver(local);
    const release = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'gh-release', name: 'Project 3.2.0', version: '3.2.0' },
    });
    assert.equal(release.status, 201, JSON.stringify(release.body));
    const end = await drive(d, release.body.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING']);
    assert.equal(end.status, 'COMPLETED', JSON.stringify(end.waitingFor));
  });

  it('makes concurrent imports to one id consecutive versions: none overwrites another', async () => {
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) => importChecklist('?id=race', `# Race\n\n## Steps\n- [ ] Step of import ${n}\n`)),
    );
    for (const answer of answers) assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.deepEqual(answers.map((answer) => answer.body.version).sort(), [1, 2, 3, 4]);
    for (const answer of answers) {
      const stored = await api(local.url, 'GET', `/templates/race/versions/${answer.body.version}`, { token: rm });
      const title = answer.body.template.phases[0].sections[0].items[0].title;
      assert.equal(stored.body.phases[0].sections[0].items[0].title, title, 'each version holds its own import');
    }
  });

  it('stores a checklist of 1 MiB and 2,000 items and reads every one back', async () => {
    // Each step carries a long explanation, as real runbooks do: 2,000 steps of about 530 bytes make 1 MiB.
    const why = 'because the release notes, the dashboards and the on-call runbook all depend on it; '.repeat(6);
    const sections = Array.from({ length: 40 }, (_, s) =>
      [
        `## Area ${s + 1}`,
        ...Array.from({ length: 50 }, (_, i) => `- [ ] Check ${s + 1}.${i + 1} of the area ${why}`),
      ].join('\n'),
    );
    const big = `# Big release\n\n${sections.join('\n\n')}\n`;
    assert.ok(Buffer.byteLength(big) >= 1024 * 1024, `${Buffer.byteLength(big)} bytes`);
    const created = await importChecklist('?id=big-release', big);
    assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 500));
    const read = await api(local.url, 'GET', '/templates/big-release', { token: rm });
    const items = JSON.stringify(read.body.phases).match(/"Check \d+\.\d+ of the area [^"]*"/g) ?? [];
    assert.equal(items.length, 2000);
    const release = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'big-release', name: 'Big 1.0', version: '1.0.0' },
    });
    assert.equal(release.status, 201, JSON.stringify(release.body).slice(0, 300));
  });

  it('answers random Markdown with 201 and a readable version, or a 4xx problem and nothing saved; never a 5xx', async () => {
    const piece = fc.constantFrom(
      '# Title\n',
      '## Before release\n',
      '### Deploy\n',
      '- [ ] ',
      '- [x] ',
      '* ',
      '1. ',
      '2) ',
      '  ',
      '\t',
      '**Bold**:\n',
      '---\n',
      '<!-- ',
      ' -->',
      '```\n',
      '> ',
      '| a | b |\n',
      '[ref]: https://example.com\n',
      'Rollback triggers\n',
      'Sign-off\n',
      '**QA Lead**: ____\n',
      '{version} ',
      '<VERSION> ',
      '\n\n',
    );
    const documents = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(fc.oneof(piece, fc.string({ maxLength: 10 })), { maxLength: 50 }).map((parts) => parts.join('')),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(documents, async (body) => {
        n += 1;
        const id = `random-${n}`;
        const response = await importChecklist(`?id=${id}`, body);
        assert.ok(response.status < 500, `${response.status} ${JSON.stringify(response.body)}`);
        const stored = await api(local.url, 'GET', `/templates/${id}`, { token: rm });
        if (response.status === 201) {
          assert.equal(stored.status, 200, 'what was acknowledged is stored');
          assert.deepEqual(stored.body.phases, response.body.template.phases, 'and stored whole');
        } else {
          assertProblem(response, response.status, 'a refusal is a problem');
          assert.equal(stored.status, 404, 'and saves nothing');
        }
      }),
      { seed: 20261204, numRuns: 40 },
    );
  });

  it('archives a template: gone from the list, no new release from it, its releases and versions still readable', async () => {
    const archived = await api(local.url, 'POST', '/templates/web-release/archive', { token: rm, body: {} });
    assert.equal(archived.status, 200, JSON.stringify(archived.body));
    const listed = await api(local.url, 'GET', '/templates', { token: rm });
    assert.ok(!listed.body.items.some((item: { id: string }) => item.id === 'web-release'));
    const refused = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'web-release', name: 'Web 6', version: '6.0.0' },
    });
    assert.equal(assertProblem(refused, 409, 'an archived template').type, '/problems/template-archived');
    assert.equal((await api(local.url, 'GET', '/templates/web-release/versions/2', { token: rm })).status, 200);
    const back = await api(local.url, 'POST', '/templates/web-release/archive', {
      token: rm,
      body: { archived: false },
    });
    assert.equal(back.status, 200);
    const again = await api(local.url, 'GET', '/templates', { token: rm });
    assert.ok(again.body.items.some((item: { id: string }) => item.id === 'web-release'));
  });

  it('exports a release as a ticked checklist with who did what, and a template as a blank one', async () => {
    const release = await api(local.url, 'POST', '/releases', {
      token: rm,
      body: { templateId: 'web-release', name: 'Web 7', version: '7.0.0' },
    });
    assert.equal(release.status, 201, JSON.stringify(release.body));
    const item = JSON.stringify(release.body.phases).match(/"id":"([^"]*run-the-full-test-suite[^"]*)"/)?.[1];
    assert.ok(item, 'the test-suite item has an id');
    const ticked = await api(local.url, 'PATCH', `/releases/${release.body.id}/items/${item}`, {
      token: qa,
      body: { status: 'done', evidence: { url: 'https://ci.example.com/runs/7', note: 'green' } },
    });
    assert.equal(ticked.status, 200, JSON.stringify(ticked.body));
    const exported = await api(local.url, 'GET', `/releases/${release.body.id}/checklist.md`, { token: rm });
    assert.equal(exported.status, 200);
    assert.equal(exported.headers.get('content-type'), 'text/markdown; charset=utf-8');
    const text = String(exported.body);
    assert.match(text, /- \[x\] Run the full test suite/);
    assert.match(text, /quinn/);
    assert.match(text, /https:\/\/ci\.example\.com\/runs\/7/);
    assert.match(text, /- \[ \] Update the changelog/);
    const blank = await api(local.url, 'GET', '/templates/web-release/checklist.md?version=1', { token: rm });
    assert.equal(blank.status, 200);
    assert.doesNotMatch(String(blank.body), /- \[x\]/);
    assert.match(String(blank.body), /- \[ \] Run the full test suite/);
  });
});

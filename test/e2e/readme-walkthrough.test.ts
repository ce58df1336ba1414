// The README's walkthrough, pasted as a person would: every command must run and print what it promises.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LocalProcess, ROOT, removeDataDir, startLocalProcess, tempDataDir } from '../support/local-process.ts';

/** The bash between the walkthrough markers of the README. */
function walkthrough(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)?.[1];
  assert.ok(section, 'the README marks its walkthrough');
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  assert.ok(blocks.length > 0);
  return blocks.join('\n');
}

describe('README walkthrough', () => {
  let dataDir: string;
  let local: LocalProcess;

  before(async () => {
    dataDir = tempDataDir();
    local = await startLocalProcess(dataDir);
  });

  after(async () => {
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('runs verbatim against npm start and shows each promised outcome', () => {
    const port = new URL(local.url).port;
    // Only the port differs from the README: the test's runtime listens on a free one.
    const script = walkthrough().replaceAll('http://localhost:3000', `http://localhost:${port}`);
    const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: ROOT,
      env: {
        ...process.env,
        SHIPGATE_DATA_DIR: dataDir,
        // npm scripts must find the project's Node first, as they do for a person running npm.
        PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, `walkthrough failed:\n${run.stdout}\n${run.stderr}`);
    const out = run.stdout;
    assert.match(out, /"id":"toolboxai-v1"/);
    assert.match(out, /"id":"mantisdb-v1"/);
    assert.match(out, /release [0-9A-Z]{26}/);
    assert.match(out, /"status": "PRE_RELEASE"/);
    assert.match(out, /\{"id":"python-test-suite",[^\n]*"status":"done","version":1,"evidence":\{"url":"https:\/\/ci/);
    assert.match(out, /"status":409,"title":"Conflict"/);
    assert.match(out, /"status":400,"detail":"reason: item 'bandit' is required: skipping it needs a reason"/);
    assert.match(out, /"id":"bandit","status":"skipped","reason":"no Python changes in this release"/);
    assert.match(
      out,
      /"satisfied":false,"rejections":\[\{"role":"security-lead","comment":"pen test report missing"\}\]/,
    );
    assert.match(out, /"status":403/);
    assert.match(
      out,
      /\{"rejections":0,"missingSignoffs":\["engineering-manager","qa-lead","devops-lead","product-manager"\]\}/,
    );
    assert.match(out, /\["engineering-manager","devops-lead","product-manager"\]/);
    assert.match(
      out,
      /"status":409,"type":"\/problems\/wait-not-satisfied","summary":"gate 'pre-release' needs \d+ items; sign-off by engineering-manager, devops-lead, product-manager"/,
    );
    for (const type of ['release.created', 'gate.opened', 'workflow.started', 'item.updated', 'signoff.recorded']) {
      assert.match(out, new RegExp(type));
    }
    assert.match(out, /\{"ids":\["[0-9A-Z]{26}"\]/);
    // Bring your own checklist: the preview, the import, a release from it, and its export.
    assert.match(out, /\{"dryRun":true,"version":1,"phases":\["pre-release","deployment"[^\n]*"items":[4-9]/);
    assert.match(out, /\{"version":1,"id":"web-release"\}/);
    assert.match(out, /\{"id":"[a-z0-9-]+","status":"done"\}/);
    assert.match(out, /- \[x\] Run the full test suite/);
    assert.match(out, /https:\/\/ci\.example\.com\/runs\/2040/);
  });
});

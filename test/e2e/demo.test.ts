// `npm run demo`, as the README shows it: both stories end as promised, in under two minutes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/local-process.ts';

describe('npm run demo', () => {
  it('completes one release and rolls the other back after a p95 breach, with one escalation before the ack', () => {
    const started = Date.now();
    const run = spawnSync('npm', ['run', '-s', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      timeout: 150_000,
    });
    const out = run.stdout;
    assert.equal(run.status, 0, `${out}\n${run.stderr}`);
    assert.match(out, /ToolBoxAI 1\.1\.0 {2}COMPLETED/);
    assert.match(out, /ToolBoxAI 1\.2\.0 {2}ROLLED_BACK/);
    assert.match(out, /breach of "API response time >500ms p95" \(policy automatic\)/);
    assert.match(
      out,
      /1\.2\.0 +monitoring: 5 CloudWatch alarms created for its triggers, e\.g\. api\.latency\.p95 > 500/,
    );
    assert.match(out, /1\.2\.0 +monitoring ended: its CloudWatch alarms deleted/);
    for (const window of ['2h', '24h', '7d']) {
      assert.match(out, new RegExp(`ToolBoxAI 1\\.1\\.0 - ${window} window passed: \\d+ metrics, 0 breaches`));
    }
    assert.match(out, /escalation level 2 paged/);
    assert.match(out, /acknowledged by the cto at level 2/);
    const pages = out.split('\n').filter((line) => /^\s+\+1415555010\d {2}CRITICAL/.test(line));
    assert.equal(pages.length, 2, 'levels 1 and 2 were paged, level 3 was not');
    assert.ok(Date.now() - started < 120_000, 'under two minutes');
  });
});

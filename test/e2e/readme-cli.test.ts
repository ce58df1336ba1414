// The README's CLI walkthrough and its two CI examples, run as a person or a pipeline would run them: the walkthrough
// verbatim against a local runtime, and the commands of the GitHub Actions job and the CodeBuild buildspec (all but
// the install step, which clones this repository) with Cognito's token endpoint played by an OAuth stand-in.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  type LocalProcess,
  ROOT,
  removeDataDir,
  startLocalProcess,
  tempDataDir,
  waitUntilReady,
} from '../support/local-process.ts';
import { type OAuthStandIn, startOAuthStandIn } from '../support/oauth-standin.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of one language between `<!-- name:start -->` and `<!-- name:end -->`. */
function blocks(name: string, language: 'bash' | 'yaml'): string[] {
  const section = new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme)?.[1];
  assert.ok(section, `the README marks ${name}`);
  const found = [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '');
  assert.ok(found.length > 0, `${name} holds a ${language} block`);
  return found;
}

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a script in bash with `-e -o pipefail`, as a CI runner runs a step. */
function bash(script: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const show = (ran: Ran) => `exit ${ran.status}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;

describe('README: the CLI walkthrough and the CI examples', () => {
  let dataDir: string;
  let scratch: string;
  let local: LocalProcess;
  let standIn: OAuthStandIn;
  /** A folder with a `shipgate` on it: what the examples' install step puts on the PATH. */
  let binDir: string;

  before(async () => {
    dataDir = tempDataDir();
    scratch = mkdtempSync(join(tmpdir(), 'shipgate-readme-cli-'));
    local = await startLocalProcess(dataDir);
    await waitUntilReady(local.url);
    standIn = await startOAuthStandIn({
      dataDir,
      clients: [
        {
          id: 'pipeline',
          secret: 'pipeline-secret',
          scopes: ['shipgate/read', 'shipgate/items.write', 'shipgate/metrics.write'],
        },
      ],
    });
    binDir = join(scratch, 'bin');
    mkdirSync(binDir);
    const shim = join(binDir, 'shipgate');
    writeFileSync(
      shim,
      `#!/bin/sh\nexec "${join(ROOT, 'node_modules', '.bin', 'node')}" "${join(ROOT, 'cli', 'main.ts')}" "$@"\n`,
    );
    chmodSync(shim, 0o755);
  });

  after(async () => {
    await standIn?.close();
    await local?.stop();
    if (dataDir) removeDataDir(dataDir);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** What a person's shell holds in the project folder: npm's bin first (npx finds the project's Node there). */
  const shellEnv = (configDir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    SHIPGATE_DATA_DIR: dataDir,
    SHIPGATE_CONFIG_DIR: configDir,
    TMPDIR: scratch,
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  });

  it('runs the CLI walkthrough verbatim against npm start, through the gates to COMPLETED', async () => {
    const [script] = blocks('cli-walkthrough', 'bash');
    assert.ok(script);
    // The runtime's port is found by the CLI itself (the running runtime's pid file in the data folder).
    const ran = await bash(script, shellEnv(join(scratch, 'walkthrough-config')), 150_000);
    assert.equal(ran.status, 0, show(ran));
    const out = ran.stdout;
    assert.match(out, /Logged in to the local runtime as rita \(release-manager\): profile rm/);
    assert.match(out, /Logged in to the local runtime as a machine client with scopes shipgate\/read/);
    assert.match(out, /Would import web-release version 1: Web release \(dry run: nothing was saved\)/);
    assert.match(out, /gates: pre-release \[qa-lead\]; deployment \[items only\]/);
    assert.match(out, /Waiting for\s+gate 'pre-release' needs 2 items; sign-off by qa-lead/);
    assert.match(out, /advance exited 5/, 'advance on an unsatisfied gate exits 5');
    assert.match(out, /wait exited 6/, 'a wait that times out exits 6');
    assert.match(out, /Approved gate pre-release as qa-lead \(Quinn \(QA lead\)\): "all suites green"/);
    assert.match(out, /Reached COMPLETED: release \w+ is COMPLETED/);
    assert.match(out, /Quinn \(QA lead\)\s+approved gate pre-release as qa-lead/, 'the events');
    const exported = readFileSync(join(scratch, 'web-2.4.0.md'), 'utf8');
    const ticked = exported.split('\n').filter((line) => line.includes('- [x]'));
    // What grep -c printed is the count of ticked lines of the file the export wrote.
    assert.match(out, new RegExp(`^${ticked.length}$`, 'm'), exported);
    for (const done of [/Run the full test suite/, /Link every pull request/, /QA Lead/]) {
      assert.ok(
        ticked.some((line) => done.test(line)),
        `${done} ticked in\n${exported}`,
      );
    }
    assert.match(exported, /Deploy the API/);
    assert.ok(!out.includes('\u001b['), 'NO_COLOR: no escape sequences');
  });

  /** The `run` commands of a workflow's job, in order, leaving out `uses:` steps and the install step. */
  function githubSteps(): string[] {
    const [yaml] = blocks('ci-github', 'yaml');
    const workflow = parse(yaml ?? '') as {
      jobs: Record<string, { env: Record<string, string>; steps: { name?: string; uses?: string; run?: string }[] }>;
    };
    const job = Object.values(workflow.jobs)[0];
    assert.ok(job);
    assert.ok(job.env.SHIPGATE_CLIENT_SECRET?.includes('secrets.'), 'the secret comes from the secrets store');
    return job.steps.filter((step) => step.run && !/^Install/.test(step.name ?? '')).map((step) => step.run as string);
  }

  function codebuildCommands(): string[] {
    const [yaml] = blocks('ci-codebuild', 'yaml');
    const spec = parse(yaml ?? '') as { phases: { build: { commands: string[] } } };
    return spec.phases.build.commands;
  }

  /** A release of the README's small checklist, created through the API, for a pipeline to work on. */
  async function releaseForPipeline(configDir: string): Promise<string> {
    const markdown = `# Web release\n\n## Before release\n- [ ] Run the full test suite\n\n## Sign-off\n- [ ] **QA Lead**: ____\n`;
    const file = join(scratch, `pipeline-${Date.now()}.md`);
    writeFileSync(file, markdown);
    const env = shellEnv(configDir);
    const setup = await bash(
      [
        'npx shipgate login --profile rm --user rita --roles release-manager >/dev/null',
        `npx shipgate --profile rm templates import "${file}" --id pipeline-release >/dev/null`,
        'npx shipgate --profile rm releases create --template pipeline-release --name "Web 3.0.0" --version 3.0.0 -q',
      ].join('\n'),
      env,
    );
    assert.equal(setup.status, 0, show(setup));
    return setup.stdout.trim();
  }

  /** Signs the gate as QA after `delayMs`, while the pipeline waits. */
  function signLater(configDir: string, release: string, delayMs: number): Promise<Ran> {
    return new Promise((resolve) => setTimeout(resolve, delayMs)).then(() =>
      bash(
        [
          'npx shipgate login --profile qa --user quinn --roles qa-lead >/dev/null',
          `npx shipgate --profile qa signoff ${release} --gate pre-release --role qa-lead --approve --comment ok`,
        ].join('\n'),
        shellEnv(configDir),
      ),
    );
  }

  for (const [name, commands] of [
    ['the GitHub Actions job', githubSteps],
    ['the CodeBuild buildspec', codebuildCommands],
  ] as const) {
    it(`runs ${name}: a machine token, the item ticked with evidence, metrics pushed, the wait held until QA signs`, async () => {
      const steps = commands();
      assert.ok(steps.length >= 4, 'sign in, tick, push, wait');
      const people = join(scratch, `people-${name.length}`);
      const release = await releaseForPipeline(people);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${binDir}:${process.env.PATH ?? ''}`,
        NO_COLOR: '1',
        SHIPGATE_CONFIG_DIR: join(scratch, `pipeline-${name.length}`),
        SHIPGATE_URL: local.url,
        SHIPGATE_TOKEN_URL: `${standIn.url}/oauth2/token`,
        SHIPGATE_CLIENT_ID: 'pipeline',
        SHIPGATE_CLIENT_SECRET: 'pipeline-secret',
        SHIPGATE_PROFILE: 'ci',
        RELEASE: release,
        RUN_URL: 'https://ci.example.com/runs/77',
        CODEBUILD_BUILD_URL: 'https://console.aws.amazon.com/codesuite/codebuild/builds/77',
      };
      const wait = steps.at(-1) as string;
      assert.match(wait, /shipgate wait "\$RELEASE" --gate pre-release --timeout 2h/);
      const before = await bash(steps.slice(0, -1).join('\n'), env);
      assert.equal(before.status, 0, show(before));
      assert.match(
        before.stdout,
        /Logged in to http:\/\/127\.0\.0\.1:\d+ as client pipeline with scopes shipgate\/read/,
      );
      assert.match(before.stdout, /Run the full test suite \[run-the-full-test-suite\]\s+done/);

      const signing = signLater(people, release, 2_000);
      const waited = await bash(`${wait.replace('--timeout 2h', '--timeout 60s --interval 500ms')}`, env);
      const signed = await signing;
      assert.equal(signed.status, 0, show(signed));
      assert.equal(waited.status, 0, show(waited));
      assert.ok(waited.ms >= 1_500, `the wait held until the sign-off (${waited.ms} ms)`);

      const check = spawnSync('bash', ['-c', `npx shipgate --profile rm --json releases show ${release}`], {
        cwd: ROOT,
        env: shellEnv(people),
        encoding: 'utf8',
      });
      const view = JSON.parse(check.stdout) as {
        phases: { sections: { items: { id: string; evidence?: { url: string } }[] }[] }[];
      };
      const item = view.phases[0]?.sections[0]?.items.find((entry) => entry.id === 'run-the-full-test-suite');
      assert.match(item?.evidence?.url ?? '', /ci\.example\.com|codebuild/);
    });
  }
});

// The `shipgate` commands end to end, in-process through run() with captured streams, against one local runtime:
// templates (import a Markdown checklist, dry run and for real, list, show, export), releases (create, list, show,
// cancel, resume), items, sign-offs, advance, rollback and its dismissal, ack, and metrics push in every form. Each
// command's human output, its --json output and its exit code are checked, as are the documented exit codes for
// auth (3), not found (4), usage (2) and conflicts (5), and that captured output never carries colour codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { run } from '../../cli/main.ts';
import type { Streams } from '../../cli/output.ts';
import { WEB_CHECKLIST } from '../support/cli-fixtures.ts';
import { type Driver, drive, localRuntimeForSuite, read, satisfy, until } from '../support/drive.ts';
import { api, setFaults, tokenFor } from '../support/local-process.ts';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  /** The bearer token (SHIPGATE_TOKEN); none when absent. */
  readonly token?: string | undefined;
  readonly stdin?: string;
  /** Whether stdout claims to be a terminal. */
  readonly tty?: boolean;
  readonly env?: Readonly<Record<string, string>>;
}

/** The start of an ANSI escape (a colour), ESC `[`. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const show = (ran: Ran) => `exit ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`;
// biome-ignore lint/suspicious/noExplicitAny: --json answers are asserted field by field
const json = (ran: Ran): any => JSON.parse(ran.stdout);

/** The one line `shipgate: …` of a failure (the help commander prints after a usage error aside). */
const failureLine = (ran: Ran): string => {
  const lines = ran.stderr.split('\n').filter((line) => line.startsWith('shipgate: ') || line.startsWith('error: '));
  assert.equal(lines.length, 1, `one failure line:\n${show(ran)}`);
  return lines[0] ?? '';
};

describe('the shipgate CLI against the local runtime', () => {
  // x600: 15 minutes of escalation pass in 1.5 s, so an acknowledgement is reachable; the monitoring window of
  // the approval template below lasts a day (144 s), more than the test needs.
  const runtime = localRuntimeForSuite({ SHIPGATE_TIME_SCALE: '600', SHIPGATE_FAULTS: '1' });
  let d: Driver;
  let work: string;
  let rm: string;
  let qa: string;
  let security: string;
  let both: string;
  let agent: string;
  let webChecklist: string;

  before(async () => {
    d = runtime.d;
    agent = runtime.agent;
    work = mkdtempSync(join(tmpdir(), 'shipgate-cli-e2e-'));
    const dataDir = d.local.dataDir;
    rm = await tokenFor(dataDir, 'rita', ['release-manager']);
    qa = await tokenFor(dataDir, 'quinn', ['qa-lead']);
    security = await tokenFor(dataDir, 'sam', ['security-lead']);
    both = await tokenFor(dataDir, 'bo', ['qa-lead', 'security-lead']);
    webChecklist = join(work, 'web-release.md');
    writeFileSync(webChecklist, WEB_CHECKLIST);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs `shipgate argv` with captured streams, as `token`, with an empty config folder (no cached login). */
  async function cli(argv: readonly string[], options: RunOptions = {}): Promise<Ran> {
    const out = { stdout: '', stderr: '' };
    const env: Record<string, string> = {
      SHIPGATE_URL: d.local.url,
      SHIPGATE_CONFIG_DIR: join(work, 'config'),
      ...(options.token ? { SHIPGATE_TOKEN: options.token } : {}),
      ...options.env,
    };
    const streams: Streams = {
      stdout: { write: (text: string) => (out.stdout += text), isTTY: options.tty ?? false },
      stderr: { write: (text: string) => (out.stderr += text) },
      env,
      stdin: Readable.from(options.stdin ? [options.stdin] : []),
    };
    const code = await run(argv, streams);
    const ran = { code, ...out };
    // Captured output is never a terminal: no colour codes, whatever the command.
    if (!options.tty) assert.doesNotMatch(`${ran.stdout}${ran.stderr}`, ANSI, show(ran));
    return ran;
  }

  /** `releases create -q` from a template, as the release manager: the new id. */
  async function created(template: string, name: string): Promise<string> {
    const ran = await cli(['releases', 'create', '--template', template, '--name', name, '--version', '1.0.0', '-q'], {
      token: rm,
    });
    assert.equal(ran.code, 0, show(ran));
    assert.match(ran.stdout, /^[0-9A-HJKMNP-TV-Z]{26}\n$/, 'only the id, on one line');
    return ran.stdout.trim();
  }

  describe('templates', () => {
    it('imports a Markdown checklist with --dry-run and saves nothing, then for real', async () => {
      const dry = await cli(['templates', 'import', webChecklist, '--id', 'web-cli', '--dry-run'], { token: rm });
      assert.equal(dry.code, 0, show(dry));
      assert.match(dry.stdout, /^Would import web-cli version 1: Web release \(dry run: nothing was saved\)$/m);
      assert.match(dry.stdout, /^PHASE\s+KIND\s+SECTIONS\s+ITEMS$/m);
      assert.match(dry.stdout, /^pre-release\s+pre-release\s+1\s+3$/m);
      assert.match(dry.stdout, /^deployment\s+deployment\s+1\s+2$/m);
      assert.match(dry.stdout, /^gates: pre-release \[qa-lead, security-lead\]; deployment \[items only\]$/m);
      const dryJson = await cli(['--json', 'templates', 'import', webChecklist, '--id', 'web-cli', '--dry-run'], {
        token: rm,
      });
      assert.equal(dryJson.code, 0, show(dryJson));
      assert.equal(json(dryJson).dryRun, true);
      assert.equal(json(dryJson).template.id, 'web-cli');
      // Nothing was saved: the template is unknown, and not listed.
      const missing = await cli(['templates', 'show', 'web-cli'], { token: rm });
      assert.equal(missing.code, 4, show(missing));
      assert.match(failureLine(missing), /^shipgate: 404/);
      const listed = await cli(['--json', 'templates', 'list'], { token: rm });
      assert.ok(!json(listed).items.some((t: { id: string }) => t.id === 'web-cli'), listed.stdout);

      const real = await cli(['templates', 'import', webChecklist, '--id', 'web-cli'], { token: rm });
      assert.equal(real.code, 0, show(real));
      assert.match(real.stdout, /^Imported web-cli version 1: Web release$/m);
      assert.doesNotMatch(real.stdout, /dry run/);
      // From stdin, the next version of the same template, as JSON.
      const again = await cli(['--json', 'templates', 'import', '-', '--id', 'web-cli'], {
        token: rm,
        stdin: WEB_CHECKLIST,
      });
      assert.equal(again.code, 0, show(again));
      assert.equal(json(again).version, 2);
      assert.equal(json(again).dryRun, false);
    });

    it('previews a real release checklist, every phase of it', async () => {
      const source = '/work/shared/checklists/mantisdb-v1.0.0-release-checklist.md';
      const ran = await cli(['--json', 'templates', 'import', source, '--id', 'mantis-copy', '--dry-run'], {
        token: rm,
      });
      assert.equal(ran.code, 0, show(ran));
      const body = json(ran);
      const builtIn = await api(d.local.url, 'GET', '/templates/mantisdb-v1', { token: rm });
      assert.deepEqual(
        body.report.phases.map((phase: { kind: string }) => phase.kind),
        builtIn.body.phases.map((phase: { kind: string }) => phase.kind),
      );
      const human = await cli(['templates', 'import', source, '--id', 'mantis-copy', '--dry-run'], { token: rm });
      assert.equal(human.code, 0, show(human));
      assert.match(human.stdout, new RegExp(`^items: ${body.report.items.total} \\(`, 'm'));
    });

    it('lists, shows and exports templates', async () => {
      const list = await cli(['templates', 'list'], { token: qa });
      assert.equal(list.code, 0, show(list));
      assert.match(list.stdout, /^ID\s+VERSION\s+NAME\s+PHASES\s+SOURCE$/m);
      assert.match(list.stdout, /^toolboxai-v1\s+1\s+Release Checklist v1\.1\.0\s+pre-release, staging, .*built-in$/m);
      assert.match(list.stdout, /^web-cli\s+2\s+Web release\s+pre-release, deployment\s+imported$/m);
      const listJson = await cli(['--json', 'templates', 'list'], { token: qa });
      const fromApi = await api(d.local.url, 'GET', '/templates', { token: qa });
      assert.deepEqual(json(listJson), fromApi.body);

      const outline = await cli(['templates', 'show', 'web-cli'], { token: qa });
      assert.equal(outline.code, 0, show(outline));
      assert.match(outline.stdout, /^Web release {2}web-cli v2$/m);
      assert.match(outline.stdout, /^ {2}gate pre-release: qa-lead, security-lead$/m);
      assert.match(outline.stdout, /^ {2}steps: Deploy the API → Deploy the web app$/m);
      const first = await cli(['--json', 'templates', 'show', 'web-cli', '--version', '1'], { token: qa });
      assert.equal(first.code, 0, show(first));
      assert.equal(json(first).version, 1);
      const badVersion = await cli(['templates', 'show', 'web-cli', '--version', 'two'], { token: qa });
      assert.equal(badVersion.code, 2, show(badVersion));

      const exported = await cli(['templates', 'export', 'web-cli'], { token: qa });
      assert.equal(exported.code, 0, show(exported));
      const markdown = await fetch(`${d.local.url}/templates/web-cli/checklist.md`, {
        headers: { authorization: `Bearer ${qa}` },
      }).then((response) => response.text());
      assert.equal(exported.stdout, markdown, 'byte for byte what the API answers');
      assert.match(exported.stdout, /^- \[ \] Run the full test suite$/m);
      const exportedJson = await cli(['templates', 'export', 'web-cli', '--json'], { token: qa });
      assert.equal(exportedJson.code, 0, show(exportedJson));
      assert.deepEqual(json(exportedJson), { markdown });
      const unknown = await cli(['templates', 'export', 'no-such-template'], { token: qa });
      assert.equal(unknown.code, 4, show(unknown));
    });
  });

  describe('a release through its first gate', () => {
    let id: string;

    it('creates a release: -q prints only its id, --json the release, text what it waits for', async () => {
      id = await created('web-cli', 'Web 2.4.0');
      assert.match(id, ULID);
      const text = await cli(
        ['releases', 'create', '--template', 'web-cli', '--name', 'Web 2.4.1', '--version', '2.4.1'],
        { token: rm },
      );
      assert.equal(text.code, 0, show(text));
      assert.match(text.stdout, /^Created [0-9A-Z]{26} {2}Web 2\.4\.1 2\.4\.1 {2}PRE_RELEASE {2}phase pre-release$/m);
      assert.match(
        text.stdout,
        /^Waiting for {2}gate 'pre-release' needs 2 items; sign-off by qa-lead, security-lead$/m,
      );
      const asJson = await cli(
        ['--json', 'releases', 'create', '--template', 'web-cli', '--name', 'Web 2.4.2', '--version', '2.4.2', '-q'],
        { token: rm },
      );
      assert.equal(asJson.code, 0, show(asJson));
      assert.equal(json(asJson).status, 'PRE_RELEASE');
      assert.equal(json(asJson).templateVersion, 2);
    });

    it('lists releases, of one status with --status', async () => {
      const list = await cli(['releases', 'list', '--status', 'PRE_RELEASE'], { token: qa });
      assert.equal(list.code, 0, show(list));
      assert.match(list.stdout, /^ID\s+NAME\s+VERSION\s+STATUS\s+PHASE\s+TEMPLATE\s+CREATED$/m);
      assert.match(
        list.stdout,
        new RegExp(`^${id}\\s+Web 2\\.4\\.0\\s+1\\.0\\.0\\s+PRE_RELEASE\\s+pre-release\\s+web-cli v2`, 'm'),
      );
      const listJson = await cli(['--json', 'releases', 'list', '--status', 'PRE_RELEASE', '--limit', '100'], {
        token: qa,
      });
      const items = json(listJson).items as { id: string; status: string }[];
      assert.ok(items.some((item) => item.id === id));
      assert.ok(items.every((item) => item.status === 'PRE_RELEASE'));
      const none = await cli(['releases', 'list', '--status', 'COMPLETED'], { token: qa });
      assert.equal(none.code, 0, show(none));
      assert.equal(none.stdout.trim(), 'No releases.');
      const wrong = await cli(['releases', 'list', '--status', 'DONE'], { token: qa });
      assert.equal(wrong.code, 2, show(wrong));
      assert.match(failureLine(wrong), /--status.*'DONE'.*PRE_RELEASE/);
    });

    it('shows the phases with progress bars and exactly what the gate waits for', async () => {
      const ran = await cli(['releases', 'show', id], { token: qa });
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /^ {2}progress {2}░{20} 0\/4 required$/m);
      assert.match(ran.stdout, /^ {2}▶ Before release {8}░{20} 0\/2 {2}gate: 0\/2 sign-offs$/m);
      assert.match(ran.stdout, /^ {2}○ Deploy to production {2}░{20} 0\/2 {2}gate: items only · 2 steps$/m);
      const waiting = ran.stdout.slice(ran.stdout.lastIndexOf('Waiting for'));
      assert.match(waiting, /^Waiting for {2}gate 'pre-release' needs 2 items; sign-off by qa-lead, security-lead$/m);
      assert.match(waiting, /^ {4}○ run-the-full-test-suite {2}Run the full test suite$/m);
      assert.match(waiting, /^ {4}○ link-every-pull-request {2}Link every pull request$/m);
      assert.match(waiting, /^ {2}missing sign-offs {2}qa-lead, security-lead$/m);
      const asJson = await cli(['--json', 'releases', 'show', id], { token: qa });
      const fromApi = await api(d.local.url, 'GET', `/releases/${id}`, { token: qa });
      assert.deepEqual(json(asJson), fromApi.body);
    });

    it('sets an item with evidence and a note; a bad status or evidence is one line naming what to change', async () => {
      const ran = await cli(
        [
          ...['items', 'set', id, 'run-the-full-test-suite', '--status', 'done'],
          ...['--evidence', 'https://ci.example.com/runs/2040', '--note', '1,204 passed'],
        ],
        { token: qa },
      );
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /^✔ Run the full test suite \[run-the-full-test-suite\] {2}done \(version 1\)$/m);
      assert.match(ran.stdout, /^ {2}evidence https:\/\/ci\.example\.com\/runs\/2040$/m);
      assert.match(ran.stdout, /^ {2}note "1,204 passed"$/m);
      const asJson = await cli(
        ['--json', 'items', 'set', id, 'link-every-pull-request', '--status', 'blocked', '--note', 'waiting on #12'],
        { token: qa },
      );
      assert.equal(asJson.code, 0, show(asJson));
      assert.equal(json(asJson).status, 'blocked');
      assert.deepEqual(json(asJson).evidence, { note: 'waiting on #12' });

      const shown = await cli(['releases', 'show', id], { token: qa });
      assert.match(shown.stdout, /^ {8}evidence https:\/\/ci\.example\.com\/runs\/2040$/m);
      assert.match(shown.stdout, /^ {2}▶ Before release {8}█{10}░{10} 1\/2 /m);
      assert.match(shown.stdout, /^ {4}! link-every-pull-request {2}Link every pull request$/m);

      const badStatus = await cli(['items', 'set', id, 'link-every-pull-request', '--status', 'finished'], {
        token: qa,
      });
      assert.equal(badStatus.code, 2, show(badStatus));
      assert.match(failureLine(badStatus), /--status.*'finished'.*pending, done, skipped, blocked, failed/);
      const badEvidence = await cli(
        ['items', 'set', id, 'link-every-pull-request', '--status', 'done', '--evidence', 'not a url'],
        { token: qa },
      );
      assert.equal(badEvidence.code, 2, show(badEvidence));
      assert.match(failureLine(badEvidence), /^shipgate: 400 \(validation-failed\): evidence\.url .+$/);
      const badJson = await cli(
        ['--json', 'items', 'set', id, 'link-every-pull-request', '--status', 'done', '--evidence', 'not a url'],
        { token: qa },
      );
      assert.equal(badJson.code, 2, show(badJson));
      assert.equal(json(badJson).status, 400);
      assert.equal(json(badJson).errors[0].field, 'evidence.url');
      const unknownItem = await cli(['items', 'set', id, 'no-such-item', '--status', 'done'], { token: qa });
      assert.equal(unknownItem.code, 4, show(unknownItem));
    });

    it('advance refuses while the gate is not satisfied, with exit 5, and says what is missing', async () => {
      const ran = await cli(['advance', id], { token: rm });
      assert.equal(ran.code, 5, show(ran));
      assert.equal(ran.stdout, '');
      assert.match(ran.stderr, /^ {4}! link-every-pull-request {2}Link every pull request$/m);
      assert.match(ran.stderr, /^ {2}missing sign-offs {2}qa-lead, security-lead$/m);
      assert.match(failureLine(ran), /^shipgate: 409 \(wait-not-satisfied\): gate 'pre-release' needs 1 item; /);
      const asJson = await cli(['--json', 'advance', id], { token: rm });
      assert.equal(asJson.code, 5, show(asJson));
      assert.equal(json(asJson).type, '/problems/wait-not-satisfied');
      assert.deepEqual(json(asJson).waitingFor.missingSignoffs, ['qa-lead', 'security-lead']);
    });

    it('records a rejection and shows the block; one person cannot fill two roles of a gate', async () => {
      const rejected = await cli(
        [
          'signoff',
          id,
          '--gate',
          'pre-release',
          '--role',
          'security-lead',
          '--reject',
          '--comment',
          'pen test missing',
        ],
        { token: security },
      );
      assert.equal(rejected.code, 0, show(rejected));
      assert.match(rejected.stdout, /^Rejected gate pre-release as security-lead \(sam\): "pen test missing"$/m);
      assert.match(rejected.stdout, /^ {2}rejected as security-lead by sam at .+: "pen test missing"$/m);
      const shown = await cli(['releases', 'show', id], { token: qa });
      assert.match(
        shown.stdout,
        /^ {4}✖ Security Lead \[security-lead\] {2}rejected by sam at .+: "pen test missing"$/m,
      );
      assert.match(shown.stdout, /^ {2}▶ Before release .* gate: 0\/2 sign-offs rejected$/m);
      assert.match(shown.stdout, /rejection by security-lead to be lifted/);

      const approved = await cli(
        ['--json', 'signoff', id, '--gate', 'pre-release', '--role', 'qa-lead', '--approve', '--comment', 'green'],
        { token: both },
      );
      assert.equal(approved.code, 0, show(approved));
      assert.equal(json(approved).signoff.decision, 'approve');
      assert.equal(json(approved).gate.satisfied, false);
      const twice = await cli(['signoff', id, '--gate', 'pre-release', '--role', 'security-lead', '--approve'], {
        token: both,
      });
      assert.equal(twice.code, 5, show(twice));
      assert.match(failureLine(twice), /^shipgate: 409 \(separation-of-duties\): .*one person cannot fill two roles/);

      const neither = await cli(['signoff', id, '--gate', 'pre-release', '--role', 'qa-lead'], { token: qa });
      assert.equal(neither.code, 2, show(neither));
      assert.match(failureLine(neither), /exactly one of --approve and --reject/);
      const noGate = await cli(['signoff', id, '--role', 'qa-lead', '--approve'], { token: qa });
      assert.equal(noGate.code, 2, show(noGate));
      assert.match(failureLine(noGate), /--gate/);
    });

    it('moves on once the rejection is withdrawn and the gate is signed', async () => {
      const withdrawn = await cli(['signoff', 'withdraw', id, '--gate', 'pre-release', '--role', 'security-lead'], {
        token: security,
      });
      assert.equal(withdrawn.code, 0, show(withdrawn));
      assert.match(withdrawn.stdout, /^Withdrew the sign-off of gate pre-release as security-lead/m);
      const item = await cli(['items', 'set', id, 'link-every-pull-request', '--status', 'done'], { token: qa });
      assert.equal(item.code, 0, show(item));
      const signed = await cli(['signoff', id, '--gate', 'pre-release', '--role', 'security-lead', '--approve'], {
        token: security,
      });
      assert.equal(signed.code, 0, show(signed));
      assert.match(signed.stdout, /^gate pre-release is satisfied$/m);
      const deploying = await until(d, id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
      assert.equal(deploying.waitingFor?.kind, 'step');
      const shown = await cli(['releases', 'show', id], { token: qa });
      assert.match(shown.stdout, /^ {2}✔ Before release {8}█{20} 2\/2 {2}gate: 2\/2 sign-offs$/m);
      assert.match(shown.stdout, /^ {4}▶ Deploy the API \[item deploy-the-api\]$/m);
      assert.match(shown.stdout, /^Waiting for {2}deployment step 'deploy-the-api' needs 1 item done$/m);
    });
  });

  describe('cancel, advance on a satisfied wait, resume', () => {
    it('cancels a release before production, with its reason', async () => {
      const id = await created('web-cli', 'Web cancelled');
      const noReason = await cli(['releases', 'cancel', id], { token: rm });
      assert.equal(noReason.code, 2, show(noReason));
      assert.match(failureLine(noReason), /--reason/);
      const ran = await cli(['releases', 'cancel', id, '--reason', 'superseded by 2.4.1'], { token: rm });
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, new RegExp(`^Cancelled ${id} {2}Web cancelled 1\\.0\\.0 {2}CANCELLED`, 'm'));
      assert.doesNotMatch(ran.stdout, /Waiting for/);
      const shown = await cli(['releases', 'show', id], { token: rm });
      assert.match(shown.stdout, /^Ended {2}CANCELLED$/m);
      const again = await cli(['--json', 'releases', 'cancel', id, '--reason', 'again'], { token: rm });
      assert.equal(again.code, 5, show(again));
      assert.equal(json(again).status, 409);
    });

    it('advances a release whose satisfied wait its workflow missed, and resumes its stopped workflow', async () => {
      // The workflow's await task fails for good: the gate is open but nobody holds its token.
      setFaults(d.local.dataDir, {
        workflowTask: { action: 'await', error: 'ShipgateInjectedFault', message: 'injected: await failed' },
      });
      const id = await created('web-cli', 'Web stopped');
      const failed = await until(d, id, 'the workflow failure', (view) => view.workflowFailure !== undefined);
      setFaults(d.local.dataDir, {});
      const stopped = await cli(['releases', 'show', id], { token: rm });
      assert.match(stopped.stdout, /^Workflow stopped {2}.+$/m);
      assert.match(stopped.stdout, new RegExp(`^ {2}continue it: shipgate releases resume ${id}$`, 'm'));
      await satisfy(d, failed);
      const satisfied = await read(d, id);
      assert.equal(satisfied.waitingFor?.satisfied, true, JSON.stringify(satisfied.waitingFor));

      const advanced = await cli(['advance', id], { token: rm });
      assert.equal(advanced.code, 0, show(advanced));
      assert.match(advanced.stdout, /^Moving on: [0-9A-Z]{26} {2}Web stopped 1\.0\.0 {2}PRE_RELEASE/m);
      assert.match(advanced.stdout, /^Waiting for {2}satisfied: the workflow moves on$/m);
      const advancedJson = await cli(['--json', 'advance', id], { token: rm });
      assert.equal(advancedJson.code, 0, show(advancedJson));
      assert.equal(json(advancedJson).waitingFor.satisfied, true);

      const resumed = await cli(['releases', 'resume', id], { token: rm });
      assert.equal(resumed.code, 0, show(resumed));
      assert.match(resumed.stdout, new RegExp(`^Resumed ${id} `, 'm'));
      const deploying = await until(d, id, 'DEPLOYING', (view) => view.status === 'DEPLOYING');
      assert.equal(deploying.workflowFailure, undefined);
      const resumedJson = await cli(['--json', 'releases', 'resume', id], { token: rm });
      assert.equal(resumedJson.code, 0, show(resumedJson));
      assert.equal(json(resumedJson).id, id);
    });
  });

  describe('monitoring: metrics, a proposed rollback, its dismissal, the rollback and the acknowledgement', () => {
    let id: string;

    it('imports a template document whose first window rolls back on approval', async () => {
      const toolbox = await api(d.local.url, 'GET', '/templates/toolboxai-v1', { token: rm });
      const { version: _version, builtIn: _builtIn, ...document } = toolbox.body;
      for (const phase of document.phases) {
        for (const window of phase.windows ?? []) {
          if (window.id === 'immediate') Object.assign(window, { rollbackPolicy: 'approval', duration: 'P1D' });
        }
      }
      const file = join(work, 'toolbox-approval.json');
      writeFileSync(file, JSON.stringify(document));
      const ran = await cli(['templates', 'import', file, '--id', 'toolbox-approval'], { token: rm });
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /^Imported toolbox-approval version 1: /m);
      const outline = await cli(['templates', 'show', 'toolbox-approval'], { token: rm });
      assert.match(outline.stdout, /windows: .*1d \(approval\)/);
    });

    it('pushes samples before production as the baseline: not evaluated', async () => {
      id = await created('toolbox-approval', 'ToolBoxAI 1.1.0');
      const ran = await cli(['metrics', 'push', id, '--sample', 'memory.usage=512'], { token: agent });
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /^Accepted 1 sample\.$/m);
      assert.match(ran.stdout, /^Not evaluated: no monitoring window is running/m);
    });

    it('pushes samples in a monitoring window with --sample, --file, stdin, and over 99 in batches', async () => {
      await drive(d, id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING']);
      await until(d, id, 'the immediate window', (view) => view.waitingFor?.window === 'immediate');
      const samples = await cli(
        [
          ...['metrics', 'push', id, '--sample', 'api.latency.p95=180ms'],
          ...['--sample', 'api.error_rate=0.4%', '--sample', 'requests.total=3count'],
        ],
        { token: agent },
      );
      assert.equal(samples.code, 0, show(samples));
      assert.match(samples.stdout, /^Accepted 3 samples\.$/m);
      assert.match(samples.stdout, /^Evaluated in monitoring window immediate \(approval rollback\)\.$/m);

      const file = join(work, 'samples.json');
      writeFileSync(
        file,
        JSON.stringify({ samples: [{ name: 'db.query_time.avg', value: 40, unit: 'Milliseconds' }] }),
      );
      const fromFile = await cli(['--json', 'metrics', 'push', id, '--file', file], { token: agent });
      assert.equal(fromFile.code, 0, show(fromFile));
      assert.equal(json(fromFile).accepted, 1);
      assert.deepEqual(json(fromFile).breaches, []);

      const fromStdin = await cli(['metrics', 'push', id, '-'], {
        token: agent,
        stdin: '# from the agent\ncpu.utilization=35%\nqueue.depth=7count\n',
      });
      assert.equal(fromStdin.code, 0, show(fromStdin));
      assert.match(fromStdin.stdout, /^Accepted 2 samples\.$/m);

      const many = Array.from({ length: 150 }, (_, n) => ({ name: 'api.requests', value: n, unit: 'Count' }));
      const manyFile = join(work, 'many.json');
      writeFileSync(manyFile, JSON.stringify(many));
      const batched = await cli(['metrics', 'push', id, '--file', manyFile], { token: agent });
      assert.equal(batched.code, 0, show(batched));
      assert.match(batched.stdout, /^Accepted 150 samples in 2 requests\.$/m);
      const batchedJson = await cli(['--json', 'metrics', 'push', id, '--file', manyFile], { token: agent });
      assert.deepEqual(
        json(batchedJson).map((outcome: { accepted: number }) => outcome.accepted),
        [99, 51],
      );

      // Every sample arrived, in the unit it was written in.
      const report = await api(d.local.url, 'GET', `/releases/${id}/report`, { token: rm });
      const immediate = report.body.windows.find((window: { windowId: string }) => window.windowId === 'immediate');
      const seen = Object.fromEntries(
        immediate.metrics.map((metric: { metric: string; unit: string; count: number }) => [
          metric.metric,
          `${metric.unit} ${metric.count}`,
        ]),
      );
      assert.deepEqual(
        {
          'api.latency.p95': seen['api.latency.p95'],
          'api.error_rate': seen['api.error_rate'],
          'requests.total': seen['requests.total'],
          'db.query_time.avg': seen['db.query_time.avg'],
          'cpu.utilization': seen['cpu.utilization'],
          'queue.depth': seen['queue.depth'],
          'api.requests': seen['api.requests'],
        },
        {
          'api.latency.p95': 'Milliseconds 1',
          'api.error_rate': 'Percent 1',
          'requests.total': 'Count 1',
          'db.query_time.avg': 'Milliseconds 1',
          'cpu.utilization': 'Percent 1',
          'queue.depth': 'Count 1',
          'api.requests': 'Count 300',
        },
      );

      const bad = await cli(['metrics', 'push', id, '--sample', 'api.latency.p95=fast'], { token: agent });
      assert.equal(bad.code, 2, show(bad));
      assert.match(failureLine(bad), /sample 'api\.latency\.p95=fast' is not name=value\[unit\]/);
      const badUnit = await cli(['metrics', 'push', id, '--sample', 'api.latency.p95=3parsecs'], { token: agent });
      assert.equal(badUnit.code, 2, show(badUnit));
      assert.match(failureLine(badUnit), /unit 'parsecs' is not one of/);
      const twoWays = await cli(['metrics', 'push', id, '--sample', 'a=1', '--file', file], { token: agent });
      assert.equal(twoWays.code, 2, show(twoWays));
      const notAllowed = await cli(['metrics', 'push', id, '--sample', 'a=1'], { token: qa });
      assert.equal(notAllowed.code, 3, show(notAllowed));
    });

    it('proposes a rollback on a breach in an approval window; dismiss keeps the release', async () => {
      const nothing = await cli(['rollback', 'dismiss', id, '--reason', 'nothing yet'], { token: rm });
      assert.equal(nothing.code, 5, show(nothing));
      assert.match(failureLine(nothing), /nothing-to-dismiss/);
      const breach = await cli(['metrics', 'push', id, '--sample', 'api.latency.p95=612ms'], { token: agent });
      assert.equal(breach.code, 0, show(breach));
      assert.match(breach.stdout, /^breach api-response-time-500ms-p95: .*observed 612/m);
      assert.match(breach.stdout, /^A rollback was proposed to the release manager\.$/m);
      const proposed = await cli(['releases', 'show', id], { token: rm });
      assert.match(proposed.stdout, /^Rollback proposed at .+ by trigger api-response-time-500ms-p95$/m);
      assert.match(proposed.stdout, new RegExp(`keep it: shipgate rollback dismiss ${id} --reason`));

      const noReason = await cli(['rollback', 'dismiss', id], { token: rm });
      assert.equal(noReason.code, 2, show(noReason));
      assert.match(failureLine(noReason), /--reason/);
      const kept = await cli(['rollback', 'dismiss', id, '--reason', 'a known spike from the load test'], {
        token: rm,
      });
      assert.equal(kept.code, 0, show(kept));
      assert.match(kept.stdout, new RegExp(`^Kept ${id} {2}ToolBoxAI 1\\.1\\.0 1\\.0\\.0 {2}MONITORING`, 'm'));
      const after = await read(d, id);
      assert.equal(after.status, 'MONITORING');
      assert.equal(after.rollbackProposal, undefined);
      const shown = await cli(['releases', 'show', id], { token: rm });
      assert.doesNotMatch(shown.stdout, /Rollback proposed/);
    });

    it('rolls back with its reason, and ack stops the escalation paging', async () => {
      const noReason = await cli(['rollback', id], { token: rm });
      assert.equal(noReason.code, 2, show(noReason));
      const notManager = await cli(['rollback', id, '--reason', 'x'], { token: qa });
      assert.equal(notManager.code, 3, show(notManager));
      assert.match(failureLine(notManager), /^shipgate: 403.*allowed: role release-manager/);

      const ran = await cli(['rollback', id, '--reason', 'p95 latency over 500 ms'], { token: rm });
      assert.equal(ran.code, 0, show(ran));
      assert.match(
        ran.stdout,
        new RegExp(`^Rolling back ${id} {2}ToolBoxAI 1\\.1\\.0 1\\.0\\.0 {2}ROLLBACK_REQUESTED`, 'm'),
      );
      // What the release waited for before the rollback is not what it waits for now.
      assert.doesNotMatch(ran.stdout, /window 'immediate'|window ends/);
      await until(d, id, 'level 1 paged', (view) => view.escalation?.state === 'paging' && view.escalation.level >= 1);
      const ack = await cli(['ack', id, '--note', 'rolling back now'], { token: rm });
      assert.equal(ack.code, 0, show(ack));
      assert.match(ack.stdout, new RegExp(`^Acknowledged escalation level \\d of ${id}$`, 'm'));
      const view = await read(d, id);
      assert.equal(view.escalation?.state, 'acknowledged');
      assert.equal(view.rollback?.reason, 'p95 latency over 500 ms');
      const shown = await cli(['releases', 'show', id], { token: rm });
      assert.match(shown.stdout, /^Escalation {2}acknowledged at level \d by rita at .+: "rolling back now"/m);
      assert.match(shown.stdout, /^ {2}reason "p95 latency over 500 ms"$/m);
      const again = await cli(['--json', 'ack', id], { token: rm });
      assert.equal(again.code, 5, show(again));
      assert.equal(json(again).type, '/problems/nothing-to-acknowledge');
    });
  });

  describe('exit codes and colour', () => {
    let id: string;
    before(async () => {
      id = await created('web-cli', 'Web codes');
    });

    it('exits 3 with no token, and with a token without the role', async () => {
      const none = await cli(['releases', 'list']);
      assert.equal(none.code, 3, show(none));
      assert.match(failureLine(none), /^shipgate: 401: .*shipgate login/);
      const noRole = await cli(['releases', 'create', '--template', 'web-cli', '--name', 'x', '--version', '1'], {
        token: qa,
      });
      assert.equal(noRole.code, 3, show(noRole));
      assert.match(failureLine(noRole), /^shipgate: 403.*allowed: role release-manager/);
      const machine = await cli(['releases', 'show', id], { token: agent });
      assert.equal(machine.code, 3, show(machine));
      const asJson = await cli(['--json', 'releases', 'cancel', id, '--reason', 'x'], { token: qa });
      assert.equal(asJson.code, 3, show(asJson));
      assert.equal(json(asJson).status, 403);
    });

    it('exits 4 for an unknown release', async () => {
      const unknown = '01J0000000000000000000000Z';
      for (const argv of [
        ['releases', 'show', unknown],
        ['advance', unknown],
        ['signoff', unknown, '--gate', 'pre-release', '--role', 'qa-lead', '--approve'],
        ['items', 'set', unknown, 'x', '--status', 'done'],
      ]) {
        const ran = await cli(argv, { token: argv[0] === 'signoff' || argv[0] === 'items' ? qa : rm });
        assert.equal(ran.code, 4, `${argv.join(' ')}: ${show(ran)}`);
        assert.match(failureLine(ran), /^shipgate: 404/);
      }
    });

    it('exits 2 for usage errors', async () => {
      for (const argv of [
        ['releases', 'create', '--name', 'x', '--version', '1'],
        ['releases', 'frobnicate'],
        ['no-such-command'],
        ['releases', 'list', '--limit', '0'],
        ['metrics', 'push', id, 'samples.json'],
        ['templates', 'import', join(work, 'no-such-file.md')],
      ]) {
        const ran = await cli(argv, { token: rm });
        assert.equal(ran.code, 2, `${argv.join(' ')}: ${show(ran)}`);
        assert.equal(ran.stdout, '', argv.join(' '));
      }
    });

    it('colours only a terminal, and never with NO_COLOR', async () => {
      const tty = await cli(['releases', 'show', id], { token: rm, tty: true });
      assert.equal(tty.code, 0, show(tty));
      assert.match(tty.stdout, ANSI, 'a terminal gets colour');
      const noColor = await cli(['releases', 'show', id], { token: rm, tty: true, env: { NO_COLOR: '1' } });
      assert.doesNotMatch(noColor.stdout, ANSI);
      assert.equal(noColor.stdout, stripVTControlCharacters(tty.stdout));
      const piped = await cli(['releases', 'show', id], { token: rm });
      assert.doesNotMatch(piped.stdout, ANSI);
      const failed = await cli(['advance', id], { token: rm, tty: true });
      assert.equal(failed.code, 5);
      assert.doesNotMatch(failed.stderr, ANSI, 'errors are plain text');
      const listed = await cli(['releases', 'list'], { token: rm, tty: true, env: { NO_COLOR: '1' } });
      assert.doesNotMatch(listed.stdout, ANSI);
    });
  });
});

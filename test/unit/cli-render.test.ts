// Unit tests for the CLI's pure rendering: progress bars, what a gate waits for (items, roles, rejections, deadline),
// a release as `releases show` prints it (built by the core rules from a small template, as the API answers it),
// what a release waits for right after a rollback, the answers of the smaller commands, and column alignment with
// emoji, mojibake and wide characters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { releaseAfter } from '../../cli/commands/releases.ts';
import { paint, progressBar, table } from '../../cli/output.ts';
import { displayWidth, figure, isoDurationText, pad, span, time } from '../../cli/render/format.ts';
import { renderItemChange, renderMetrics, renderReleaseList, renderSignoff } from '../../cli/render/records.ts';
import { currentWaitingFor, renderRelease, renderWaitingFor } from '../../cli/render/release.ts';
import { renderImport, renderTemplateList } from '../../cli/render/templates.ts';
import type {
  ImportOutcome,
  MetricsOutcome,
  ReleaseSummary,
  ReleaseView,
  SignoffOutcome,
  TemplateList,
  WaitingFor,
} from '../../cli/render/types.ts';
import { recordSignoff, updateItem } from '../../lambdas/core/release/checklist-use-cases.ts';
import { releaseViewOf } from '../support/cli-fixtures.ts';
import { testTemplate, user } from '../support/fixtures.ts';

const plain = stripVTControlCharacters;
const lines = (text: string | readonly string[]) =>
  plain(typeof text === 'string' ? text : text.join('\n')).split('\n');
const NOW = new Date('2026-11-21T10:30:00Z');

/** The display column where `cell` starts on `line`. */
function columnOf(line: string, cell: string): number {
  const at = line.indexOf(cell);
  assert.ok(at >= 0, `${JSON.stringify(cell)} on ${JSON.stringify(line)}`);
  return displayWidth(line.slice(0, at));
}

const _rita = user('rita', ['release-manager']);
const quinn = user('quinn', ['qa-lead']);
const sam = user('sam', ['security-lead']);

/** A release of `template` as the API answers it (JSON), after `act` ran on it through the core rules. */
const releaseOf = releaseViewOf;

describe('progress bars', () => {
  const cells = (bar: string) => {
    const [cellsPart = ''] = bar.split(' ');
    return {
      filled: [...cellsPart].filter((c) => c === '█').length,
      empty: [...cellsPart].filter((c) => c === '░').length,
    };
  };

  it('fills none at 0 %, half at 50 %, all at 100 %, always 20 cells wide', () => {
    assert.equal(progressBar(0, 10), `${'░'.repeat(20)} 0/10`);
    assert.equal(progressBar(5, 10), `${'█'.repeat(10)}${'░'.repeat(10)} 5/10`);
    assert.equal(progressBar(10, 10), `${'█'.repeat(20)} 10/10`);
    for (const done of [0, 1, 3, 7, 10]) {
      const { filled, empty } = cells(progressBar(done, 10));
      assert.equal(filled + empty, 20, `${done}/10`);
    }
  });

  it('rounds to the nearest cell, keeps the width asked for, and never overflows', () => {
    assert.deepEqual(cells(progressBar(1, 3)), { filled: 7, empty: 13 });
    assert.deepEqual(cells(progressBar(1, 2, 10)), { filled: 5, empty: 5 });
    assert.deepEqual(cells(progressBar(12, 10)), { filled: 20, empty: 0 });
    assert.deepEqual(cells(progressBar(-1, 10)), { filled: 0, empty: 20 });
  });
});

describe('what a gate waits for', () => {
  const waiting: WaitingFor = {
    kind: 'gate',
    gate: 'pre-release',
    phase: 'pre-release',
    since: '2026-11-21T10:00:00Z',
    satisfied: false,
    summary: "gate 'pre-release' needs 2 items; sign-off by qa-lead, security-lead",
    missingItems: [
      { id: 'tests-pass', title: 'Tests pass', status: 'pending' },
      { id: 'changelog', title: 'Changelog', status: 'blocked' },
    ],
    missingSignoffs: ['qa-lead', 'security-lead'],
    rejections: [
      {
        role: 'security-lead',
        by: { id: 'sam', name: 'Sam' },
        at: '2026-11-21T10:10:00Z',
        comment: 'pen test\nreport missing',
      },
    ],
    blockers: ['the release manager created this release and cannot be its sole approver'],
  } as WaitingFor;

  it('names each missing item, each missing role, each rejection with its comment, and each blocker', () => {
    assert.deepEqual(lines(renderWaitingFor(waiting, { now: NOW })), [
      "Waiting for  gate 'pre-release' needs 2 items; sign-off by qa-lead, security-lead",
      '  since 2026-11-21 10:00:00Z',
      '  missing items (2)',
      '    ○ tests-pass  Tests pass',
      '    ! changelog  Changelog',
      '  missing sign-offs  qa-lead, security-lead',
      '  rejected as security-lead by Sam at 2026-11-21 10:10:00Z: "pen test report missing"',
      '  blocked  the release manager created this release and cannot be its sole approver',
    ]);
  });

  it('says when the gate is due, and when it is overdue', () => {
    const due = lines(renderWaitingFor(waiting, { now: NOW, gateDeadlines: { 'pre-release': 'PT2H' } }));
    assert.ok(due.includes('  deadline 2026-11-21 12:00:00Z (2h after the gate opened; 1h 30m left)'), due.join('\n'));
    const late = lines(
      renderWaitingFor(waiting, { now: new Date('2026-11-21T13:00:00Z'), gateDeadlines: { 'pre-release': 'PT2H' } }),
    );
    assert.ok(late.includes('  deadline 2026-11-21 12:00:00Z (2h after the gate opened; overdue)'), late.join('\n'));
    const otherGate = lines(renderWaitingFor(waiting, { now: NOW, gateDeadlines: { staging: 'PT2H' } }));
    assert.ok(!otherGate.some((line) => line.includes('deadline')), otherGate.join('\n'));
  });

  it('says a satisfied wait moves on, and how long a window has left', () => {
    const satisfied = {
      ...waiting,
      satisfied: true,
      missingItems: [],
      missingSignoffs: [],
      rejections: [],
      blockers: [],
    };
    assert.deepEqual(lines(renderWaitingFor(satisfied as WaitingFor, { now: NOW })), [
      'Waiting for  satisfied: the workflow moves on',
      '  since 2026-11-21 10:00:00Z',
    ]);
    const window = {
      kind: 'window',
      window: 'immediate',
      since: '2026-11-21T10:00:00Z',
      endsAt: '2026-11-21T12:00:00Z',
      satisfied: false,
      summary: "monitoring window 'immediate' runs until 2026-11-21T12:00:00.000Z unless a rollback trigger fires",
    } as WaitingFor;
    assert.ok(
      lines(renderWaitingFor(window, { now: NOW })).includes('  window ends 2026-11-21 12:00:00Z (1h 30m left)'),
    );
  });
});

describe('a release as `releases show` prints it', () => {
  it('shows each phase with its progress bar and gate, and exactly what the gate waits for', async () => {
    const view = await releaseOf(testTemplate(), async (service, id) => {
      await updateItem(service, quinn, id, 'tests-pass', {
        status: 'done',
        evidence: { url: 'https://ci.example.com/1', note: '568 passed' },
      });
      await recordSignoff(service, sam, id, {
        gate: 'pre-release',
        role: 'security-lead',
        decision: 'reject',
        comment: 'pen test missing',
      });
    });
    const text = lines(renderRelease(view, { now: NOW }));
    const phases = text.slice(text.indexOf('Phases') + 1, text.indexOf('Phases') + 3);
    // tests-pass of tests-pass, changelog and security-scan (upx and helm-charts are optional).
    assert.match(phases[0] ?? '', /^ {2}▶ Pre-release {2}█{7}░{13} 1\/3 {2}gate: 0\/2 sign-offs rejected$/);
    assert.match(phases[1] ?? '', /^ {2}○ Deployment {3}░{20} 0\/1 {2}gate: 0\/1 sign-offs · 1 step$/);
    assert.ok(text.includes('    ✔ tests pass [tests-pass]  automated · required'), text.join('\n'));
    assert.ok(text.includes('        evidence https://ci.example.com/1'), text.join('\n'));
    assert.ok(text.includes('        note "568 passed"'), text.join('\n'));
    assert.ok(text.includes('      ○ upx [upx]  manual · optional'), text.join('\n'));
    assert.ok(
      text.some((line) =>
        /^ {4}✖ security-lead \[security-lead\] {2}rejected by sam at .*: "pen test missing"$/.test(line),
      ),
      text.join('\n'),
    );
    const waiting = text.slice(text.findIndex((line) => line.startsWith('Waiting for')));
    assert.deepEqual(waiting.slice(2), [
      '  missing items (2)',
      '    ○ changelog  changelog',
      '    ○ security-scan  security scan',
      '  missing sign-offs  qa-lead, security-lead',
      '  rejected as security-lead by sam at 2026-11-21 10:00:00Z: "pen test missing"',
    ]);
  });

  it('aligns the progress bars under phase names with emoji and wide characters', async () => {
    const base = testTemplate();
    const [pre, deployment] = base.phases;
    assert.ok(pre && deployment);
    const template = testTemplate({
      phases: [
        { ...pre, name: '🚀 Pré-release ✅' },
        { ...deployment, name: '本番デプロイ' },
        {
          ...deployment,
          id: 'sign',
          name: 'âœ… Sign-off',
          sections: [],
          steps: [],
          gate: { ...pre.gate, id: 'sign' } as NonNullable<typeof pre.gate>,
        },
      ],
    });
    const view = await releaseOf(template);
    const text = lines(renderRelease(view, { now: NOW }));
    const phases = text.slice(text.indexOf('Phases') + 1, text.indexOf('Phases') + 4);
    assert.equal(phases.length, 3);
    const starts = phases.map((line) => columnOf(line, line.includes('no required items') ? 'no required' : '░'));
    assert.deepEqual(starts, [starts[0], starts[0], starts[0]], phases.join('\n'));
    const gates = phases.map((line) => columnOf(line, 'gate:'));
    assert.deepEqual(gates, [gates[0], gates[0], gates[0]], phases.join('\n'));
    // A phase with nothing required shows no bar, rather than a full one that reads as done.
    assert.match(phases[2] ?? '', /no required items/);
    assert.doesNotMatch(phases[2] ?? '', /█/);
  });

  it('does not print the wait a release was in before a rollback was requested', async () => {
    const view = await releaseOf(testTemplate());
    const requested = {
      ...view,
      status: 'ROLLBACK_REQUESTED',
      waitingFor: {
        kind: 'window',
        window: 'immediate',
        since: '2026-11-21T10:00:00Z',
        endsAt: '2026-11-21T12:00:00Z',
        satisfied: false,
        summary: "monitoring window 'immediate' runs until 2026-11-21T12:00:00.000Z unless a rollback trigger fires",
      },
    } as ReleaseView;
    assert.equal(currentWaitingFor(requested), undefined);
    const after = lines(releaseAfter(requested, 'Rolling back'));
    assert.deepEqual(after.slice(1), ['Waiting for  the workflow to start the rollback']);
    assert.ok(!lines(renderRelease(requested, { now: NOW })).some((line) => line.includes('window ends')));
    const rolling = {
      ...requested,
      status: 'ROLLING_BACK',
      waitingFor: {
        kind: 'rollback',
        since: '2026-11-21T10:05:00Z',
        satisfied: false,
        summary: 'the rollback needs 1 procedure item done',
      },
    } as ReleaseView;
    assert.equal(currentWaitingFor(rolling)?.kind, 'rollback');
    assert.match(
      lines(releaseAfter(rolling, 'Now:'))[1] ?? '',
      /^Waiting for {2}the rollback needs 1 procedure item done$/,
    );
    // A release that ended waits for nothing, whatever the API still names.
    assert.deepEqual(lines(releaseAfter({ ...requested, status: 'CANCELLED' } as ReleaseView, 'Cancelled')).length, 1);
  });
});

describe('the answers of the smaller commands', () => {
  it('a rejection says it blocks the gate, and what the gate still needs', () => {
    const outcome = {
      signoff: {
        gate: 'pre-release',
        role: 'security-lead',
        decision: 'reject',
        comment: 'pen test missing',
        by: { id: 'sam', name: 'Sam' },
        at: '2026-11-21T10:10:00Z',
        version: 1,
      },
      release: { id: 'R1', revision: 3, status: 'PRE_RELEASE' },
      gate: {
        gate: 'pre-release',
        satisfied: false,
        missingItems: [],
        missingSignoffs: ['security-lead'],
        rejections: [
          {
            role: 'security-lead',
            by: { id: 'sam', name: 'Sam' },
            at: '2026-11-21T10:10:00Z',
            comment: 'pen test missing',
          },
        ],
        blockers: [],
      },
    } as unknown as SignoffOutcome;
    assert.deepEqual(lines(renderSignoff(outcome)), [
      'Rejected gate pre-release as security-lead (Sam): "pen test missing"',
      'gate pre-release still needs:',
      '  missing sign-offs  security-lead',
      '  rejected as security-lead by Sam at 2026-11-21 10:10:00Z: "pen test missing"',
    ]);
    const approved = {
      ...outcome,
      signoff: { ...outcome.signoff, decision: 'approve', comment: undefined },
      gate: { ...outcome.gate, satisfied: true },
    };
    assert.deepEqual(lines(renderSignoff(approved as SignoffOutcome)), [
      'Approved gate pre-release as security-lead (Sam)',
      'gate pre-release is satisfied',
    ]);
  });

  it('an item change shows its evidence, note and reason', () => {
    const item = {
      id: 'bandit',
      title: 'bandit',
      status: 'skipped',
      required: true,
      kind: 'automated',
      version: 2,
      evidence: { url: 'https://ci.example.com/2', note: 'no Python\nchanges' },
      reason: 'no Python changes in this release',
    };
    assert.deepEqual(lines(renderItemChange(item as Parameters<typeof renderItemChange>[0])), [
      '⊘ bandit [bandit]  skipped (version 2)',
      '  evidence https://ci.example.com/2',
      '  note "no Python changes"',
      '  reason "no Python changes in this release"',
    ]);
  });

  it('metrics sent in several requests add up, and a breach and a proposed rollback are said', () => {
    const base = {
      accepted: 99,
      evaluated: true,
      window: 'immediate',
      rollbackPolicy: 'approval',
      breaches: [],
      items: [],
      rollback: 'none',
    };
    const breach = {
      trigger: 'api-response-time-500ms-p95',
      title: 'API response time >500ms p95',
      observed: 612,
      threshold: 500,
      datapoints: 1,
    };
    const text = lines(
      renderMetrics([
        base,
        { ...base, accepted: 51, breaches: [breach], rollback: 'proposed' },
      ] as unknown as MetricsOutcome[]),
    );
    assert.deepEqual(text, [
      'Accepted 150 samples in 2 requests.',
      'Evaluated in monitoring window immediate (approval rollback).',
      'breach api-response-time-500ms-p95: API response time >500ms p95: observed 612 (threshold 500), 1 datapoint',
      'A rollback was proposed to the release manager.',
    ]);
    const baseline = lines(renderMetrics([{ ...base, accepted: 1, evaluated: false } as unknown as MetricsOutcome]));
    assert.equal(baseline[0], 'Accepted 1 sample.');
    assert.match(baseline[1] ?? '', /^Not evaluated: no monitoring window is running/);
  });

  it('an import dry run says nothing was saved, and lists the warnings with their lines', () => {
    const outcome = {
      dryRun: true,
      version: 3,
      template: { id: 'web' },
      report: {
        name: 'Web release',
        phases: [
          { id: 'pre-release', kind: 'pre-release', sections: 1, items: 3 },
          { id: 'deployment', kind: 'deployment', sections: 1, items: 2 },
        ],
        items: { total: 5, manual: 4, automated: 1, metric: 0, optional: 0 },
        gates: [
          { gate: 'pre-release', roles: ['qa-lead'] },
          { gate: 'deployment', roles: [] },
        ],
        windows: 0,
        triggers: 0,
        escalationLevels: 0,
        successMetrics: 0,
        warnings: [{ line: 12, message: 'an unchecked line is not an item' }, { message: 'no on-call role' }],
      },
    } as unknown as ImportOutcome;
    const text = lines(renderImport(outcome));
    assert.equal(text[0], 'Would import web version 3: Web release (dry run: nothing was saved)');
    assert.ok(text.includes('gates: pre-release [qa-lead]; deployment [items only]'), text.join('\n'));
    assert.deepEqual(text.slice(-3), [
      '2 warnings:',
      '  line 12: an unchecked line is not an item',
      '  no on-call role',
    ]);
    const saved = lines(renderImport({ ...outcome, dryRun: false } as ImportOutcome));
    assert.equal(saved[0], 'Imported web version 3: Web release');
  });
});

describe('columns with emoji, mojibake and wide characters', () => {
  it('measures what a terminal shows: emoji and CJK take two columns, accents none, colour codes none', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('🚀'), 2);
    assert.equal(displayWidth('✅'), 2);
    assert.equal(displayWidth('✔'), 1);
    assert.equal(displayWidth('✔️'), 2);
    assert.equal(displayWidth('👩‍💻'), 2);
    assert.equal(displayWidth('🇫🇷'), 2);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth('âœ…'), 3);
    assert.equal(displayWidth(paint.bold('ab')), 2);
  });

  it('pads to a width in columns', () => {
    assert.equal(pad('✅', 4), '✅  ');
    assert.equal(pad('日本', 5), '日本 ');
    assert.equal(displayWidth(pad(paint.red('🚀 go'), 8)), 8);
    assert.equal(pad('longer than that', 4), 'longer than that');
  });

  it('aligns the release list with an emoji and mojibake in names', () => {
    const release = (id: string, name: string): ReleaseSummary =>
      ({
        id,
        name,
        version: '1.0.0',
        status: 'PRE_RELEASE',
        currentPhase: 'pre-release',
        templateId: 'toolboxai-v1',
        templateVersion: 1,
        createdAt: '2026-11-21T10:00:00Z',
      }) as ReleaseSummary;
    const text = lines(
      renderReleaseList([release('R1', 'ToolBoxAI 🚀'), release('R2', 'MantisDB âœ… ready'), release('R3', 'Web')]),
    );
    const versions = text.map((line, index) => columnOf(line, index === 0 ? 'VERSION' : '1.0.0'));
    assert.deepEqual(versions, [versions[0], versions[0], versions[0], versions[0]], text.join('\n'));
  });

  it('aligns the template list', () => {
    const list = {
      items: [
        {
          id: 'toolboxai-v1',
          version: 1,
          name: 'Release Checklist v1.1.0 🚀',
          builtIn: true,
          phases: [{ kind: 'pre-release' }],
        },
        {
          id: 'web',
          version: 12,
          name: 'Web',
          builtIn: false,
          phases: [{ kind: 'pre-release' }, { kind: 'deployment' }],
        },
      ],
    } as unknown as TemplateList;
    const text = lines(renderTemplateList(list));
    const phases = text.map((line, index) => columnOf(line, index === 0 ? 'PHASES' : 'pre-release'));
    assert.deepEqual(phases, [phases[0], phases[0], phases[0]], text.join('\n'));
    assert.match(text[2] ?? '', /imported$/);
  });

  it('keeps colour codes out of the widths of a table', () => {
    const text = lines(
      table(
        ['A', 'B'],
        [
          [paint.red('red'), 'x'],
          ['plain text', 'y'],
        ],
      ),
    );
    assert.equal(columnOf(text[1] ?? '', 'x'), columnOf(text[2] ?? '', 'y'));
  });
});

describe('small pieces', () => {
  it('times in UTC to the second, spans and ISO durations for people, figures in their unit', () => {
    assert.equal(time('2026-11-21T10:04:05.123Z'), '2026-11-21 10:04:05Z');
    assert.equal(time(undefined), '-');
    assert.equal(time('not a time'), 'not a time');
    assert.equal(span(45_000), '45s');
    assert.equal(span(725_000), '12m 5s');
    assert.equal(span(12_000_000), '3h 20m');
    assert.equal(span(187_200_000), '2d 4h');
    assert.equal(isoDurationText('PT2H'), '2h');
    assert.equal(isoDurationText('P7D'), '7d');
    assert.equal(isoDurationText('PT1H30M'), '1h 30m');
    assert.equal(isoDurationText('P1M'), 'P1M');
    assert.equal(figure(180, 'Milliseconds'), '180 ms');
    assert.equal(figure(0.4, 'Percent'), '0.4 %');
    assert.equal(figure(3, 'Count'), '3');
  });
});

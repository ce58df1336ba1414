// `npm run demo`: two scripted releases on the local runtime, printed as one readable timeline. One completes
// cleanly; in the other a p95 latency breach in the immediate window rolls it back, on-call is paged, the page
// escalates once, someone acknowledges, and the release ends ROLLED_BACK. Time runs 20,000 times faster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseView } from '../lambdas/core/release/view.ts';
import { loadOrCreateIssuer } from '../local/issuer.ts';
import { startLocalRuntime } from '../local/runtime.ts';

const TIME_SCALE = 20_000;
const dataDir = mkdtempSync(join(tmpdir(), 'shipgate-demo-'));
const started = Date.now();
const clock = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (release: string, text: string) => console.log(`${clock()}  ${release.padEnd(12)} ${text}`);

const runtime = await startLocalRuntime({ port: 0, dataDir, timeScale: TIME_SCALE, log: () => undefined });
const issuer = await loadOrCreateIssuer(dataDir);
const tokens = new Map<string, string>();
async function token(roles: string[], machine?: string[]): Promise<string> {
  const key = machine ? `machine:${machine.join(',')}` : roles.join(',');
  let found = tokens.get(key);
  if (!found) {
    found = machine
      ? await issuer.sign({ user: 'monitoring-agent', machine: true, scopes: machine })
      : await issuer.sign({ user: `${roles.join('+')}`, name: `the ${roles.join(' and ')}`, roles });
    tokens.set(key, found);
  }
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: the demo reads response bodies field by field
async function call(method: string, path: string, as: string, body?: unknown): Promise<any> {
  const response = await fetch(`${runtime.url.replace('localhost', '127.0.0.1')}${path}`, {
    method,
    headers: { authorization: `Bearer ${as}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const read = async (id: string): Promise<ReleaseView> =>
  call('GET', `/releases/${id}`, await token(['release-manager']));

/** The CloudWatch alarms of a release's rollback triggers in the local CloudWatch, once `test` holds (up to 5 s). */
async function alarmsOnce(
  id: string,
  test: (alarms: { name: string; metric: string; comparison: string; threshold: number }[]) => boolean,
): Promise<{ name: string; metric: string; comparison: string; threshold: number }[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { items } = await call('GET', `/local/alarms?releaseId=${id}`, await token(['release-manager']));
    if (test(items) || Date.now() > deadline) return items;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function until(id: string, test: (view: ReleaseView) => boolean): Promise<ReleaseView> {
  for (;;) {
    const view = await read(id);
    if (test(view)) return view;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Does what the release waits for: the team ticks what is missing and each role signs. */
async function satisfy(label: string, view: ReleaseView): Promise<void> {
  const waiting = view.waitingFor;
  if (!waiting || waiting.kind === 'window') return;
  const team = await token(['qa-lead']);
  const items = waiting.missingItems ?? [];
  await Promise.all(
    items.map(async (item) =>
      call('PATCH', `/releases/${view.id}/items/${item.id}`, team, { status: 'done', evidence: { note: 'checked' } }),
    ),
  );
  if (items.length > 0)
    say(label, `team ticks ${items.length} item(s) of ${waiting.kind} ${waiting.step ?? waiting.phase ?? ''}`);
  for (const role of waiting.missingSignoffs ?? []) {
    const gate = waiting.kind === 'rollback' ? 'rollback' : waiting.gate;
    await call('POST', `/releases/${view.id}/signoffs`, await token([role]), { gate, role, decision: 'approve' });
    say(label, `${role} signs ${gate}`);
  }
}

/** Moves a release along while it is in one of the given statuses, narrating each change. */
async function drive(label: string, id: string, through: string[], onWindow?: (view: ReleaseView) => Promise<boolean>) {
  for (;;) {
    const view = await read(id);
    if (!through.includes(view.status)) return view;
    if (view.waitingFor?.kind === 'window') {
      say(label, `monitoring window ${view.waitingFor.window} runs until ${view.waitingFor.endsAt?.slice(11, 19)}`);
      if (onWindow && (await onWindow(view))) return read(id);
    } else {
      await satisfy(label, view);
    }
    const next = await until(id, (v) => v.wait?.id !== view.wait?.id || !through.includes(v.status));
    if (next.status !== view.status) say(label, `${view.status} -> ${next.status}`);
  }
}

try {
  console.log(`Shipgate demo: local runtime at ${runtime.url}, time x${TIME_SCALE} (a week passes in 30 s)\n`);
  const rm = await token(['release-manager']);
  for (const [level, phone] of [
    [1, '+14155550101'],
    [2, '+14155550102'],
    [3, '+14155550103'],
  ] as const) {
    await call('POST', '/contacts', rm, {
      name: `On-call level ${level}`,
      phone,
      roles: ['on-call'],
      escalationLevel: level,
      events: ['escalation', 'rollback.triggered'],
    });
  }
  await call('POST', '/contacts', rm, { name: 'QA lead', email: 'qa@example.com', roles: ['qa-lead'] });
  say('setup', 'contacts: on-call levels 1-3 (SMS), QA lead (email)');

  const create = async (name: string) =>
    (await call('POST', '/releases', rm, {
      templateId: 'toolboxai-v1',
      name,
      version: name.split(' ')[1],
    })) as ReleaseView;
  const clean = await create('ToolBoxAI 1.1.0');
  const risky = await create('ToolBoxAI 1.2.0');
  say('1.1.0', `created: ${clean.status}, waits for ${clean.waitingFor?.summary}`);
  say('1.2.0', `created: ${risky.status}, waits for ${risky.waitingFor?.summary}`);

  const agent = await token([], ['shipgate/metrics.write']);
  const cleanRun = drive(
    '1.1.0',
    clean.id,
    ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING', 'CONFIRMING'],
    async (view) => {
      const result = await call('POST', `/releases/${view.id}/metrics`, agent, {
        samples: [
          { name: 'api.latency.p95', value: 142, unit: 'Milliseconds' },
          { name: 'api.error_rate', value: 0.01, unit: 'Percent' },
        ],
      });
      say('1.1.0', `metrics: p95 142 ms, errors 0.01 % -> ${result.breaches.length} breach(es)`);
      return false;
    },
  );
  const riskyRun = drive('1.2.0', risky.id, ['PRE_RELEASE', 'STAGING', 'DEPLOYING', 'MONITORING'], async (view) => {
    if (view.waitingFor?.window !== 'immediate') return false;
    const alarms = await alarmsOnce(view.id, (found) => found.length > 0);
    const latencyAlarm = alarms.find((alarm) => alarm.metric === 'api.latency.p95');
    say(
      '1.2.0',
      `monitoring: ${alarms.length} CloudWatch alarms created for its triggers` +
        (latencyAlarm ? `, e.g. ${latencyAlarm.metric} ${latencyAlarm.comparison} ${latencyAlarm.threshold}` : ''),
    );
    const result = await call('POST', `/releases/${view.id}/metrics`, agent, {
      samples: [{ name: 'api.latency.p95', value: 640, unit: 'Milliseconds' }],
    });
    const breach = result.breaches[0];
    if (!breach) throw new Error(`the breach was not detected: ${JSON.stringify(result)}`);
    say('1.2.0', `metrics: p95 640 ms -> breach of "${breach.title}" (policy ${result.rollbackPolicy})`);
    return true;
  });

  const riskyStory = (async () => {
    const rolling = await riskyRun;
    say('1.2.0', `${rolling.status}: ${rolling.rollback?.reason}`);
    const left = await alarmsOnce(risky.id, (found) => found.length === 0);
    say(
      '1.2.0',
      `monitoring ended: ${left.length === 0 ? 'its CloudWatch alarms deleted' : `${left.length} alarms left`}`,
    );
    say('1.2.0', 'on-call level 1 paged');
    const paged2 = await until(risky.id, (view) => (view.escalation?.level ?? 0) >= 2);
    say('1.2.0', `nobody acknowledged level 1 within the interval: escalation level ${paged2.escalation?.level} paged`);
    const acked = await call('POST', `/releases/${risky.id}/acknowledge`, await token(['cto']), { note: 'on it' });
    say('1.2.0', `acknowledged by ${acked.escalation.acknowledgedBy.name} at level ${acked.escalation.level}`);
    return drive('1.2.0', risky.id, ['ROLLBACK_REQUESTED', 'ROLLING_BACK']);
  })();
  const [, end] = await Promise.all([cleanRun, riskyStory]);

  const finalClean = await read(clean.id);
  console.log('\nOutcome');
  console.log(`  ToolBoxAI 1.1.0  ${finalClean.status}`);
  console.log(`  ToolBoxAI 1.2.0  ${end.status}`);
  const outbox = await call('GET', `/notifications?releaseId=${risky.id}&limit=500`, rm);
  const pages = (outbox.items as { type: string; endpoint: string; body: string }[])
    .filter((e) => e.type === 'escalation')
    .reverse();
  console.log('\nPages sent for 1.2.0 (SMS)');
  for (const page of pages) console.log(`  ${page.endpoint}  ${page.body}`);
  const sent = await call('GET', `/releases/${clean.id}/notifications?limit=200`, rm);
  const windowReports = (sent.items as { type: string; text: { sms: string } }[]).filter(
    (notification) => notification.type === 'window.passed',
  );
  console.log('\nWindow reports sent for 1.1.0 (SMS)');
  for (const notification of windowReports) console.log(`  ${notification.text.sms.split('\n')[0]}`);
  const report = await call('GET', `/releases/${risky.id}/report`, rm);
  const immediate = report.windows.find((window: { windowId: string }) => window.windowId === 'immediate');
  const latency = immediate?.metrics.find((metric: { metric: string }) => metric.metric === 'api.latency.p95');
  console.log(
    `\nReport of 1.2.0, immediate window: p95 max ${latency?.max} ms; breached: ${immediate?.breachedTriggers.join(', ')}`,
  );
  console.log(`\nDemo done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (finalClean.status !== 'COMPLETED' || end.status !== 'ROLLED_BACK') process.exitCode = 1;
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

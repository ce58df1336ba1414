// Driving releases through the local HTTP API as a team would: read what a release waits for, do it, repeat.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { ReleaseStatus } from '../../lambdas/core/release/status.ts';
import type { ItemView, ReleaseView } from '../../lambdas/core/release/view.ts';
import { api, type LocalProcess, removeDataDir, startLocalProcess, tempDataDir, tokenFor } from './local-process.ts';

export interface Driver {
  readonly local: LocalProcess;
  token(roles: string[]): Promise<string>;
}

export function driver(local: LocalProcess): Driver {
  const cache = new Map<string, Promise<string>>();
  return {
    local,
    token(roles) {
      const key = roles.join(',');
      let found = cache.get(key);
      if (!found) {
        found = tokenFor(local.dataDir, `user-${key}`, roles);
        cache.set(key, found);
      }
      return found;
    },
  };
}

export async function read(d: Driver, id: string): Promise<ReleaseView> {
  const response = await api(d.local.url, 'GET', `/releases/${id}`, { token: await d.token(['release-manager']) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as ReleaseView;
}

export async function until(
  d: Driver,
  id: string,
  what: string,
  test: (view: ReleaseView) => boolean,
  timeoutMs = 20_000,
): Promise<ReleaseView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await read(d, id);
    if (test(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${view.status} ${JSON.stringify(view.waitingFor)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Does what the release waits for now, as the team would: ticks what is missing, signs as each missing role. */
export async function satisfy(d: Driver, view: ReleaseView): Promise<void> {
  const waiting = view.waitingFor;
  assert.ok(waiting);
  const team = await d.token(['qa-lead']);
  await Promise.all(
    (waiting.missingItems ?? []).map(async (item) => {
      const response = await api(d.local.url, 'PATCH', `/releases/${view.id}/items/${item.id}`, {
        token: team,
        body: { status: 'done', evidence: { note: 'verified' } },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    }),
  );
  for (const role of waiting.missingSignoffs ?? []) {
    const gate = waiting.kind === 'rollback' ? 'rollback' : waiting.gate;
    const response = await api(d.local.url, 'POST', `/releases/${view.id}/signoffs`, {
      token: await d.token([role]),
      body: { gate, role, decision: 'approve', comment: 'looks good' },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }
}

/** Satisfies each wait in turn while the release is in one of the given statuses; windows pass by themselves. */
export async function drive(d: Driver, id: string, through: readonly ReleaseStatus[]): Promise<ReleaseView> {
  for (;;) {
    const view = await read(d, id);
    if (!through.includes(view.status)) return view;
    if (view.waitingFor?.kind !== 'window') await satisfy(d, view);
    await until(d, id, 'the next wait', (next) => next.wait?.id !== view.wait?.id || !through.includes(next.status));
  }
}

export async function create(d: Driver, templateId: string): Promise<ReleaseView> {
  const response = await api(d.local.url, 'POST', '/releases', {
    token: await d.token(['release-manager']),
    body: { templateId, name: `${templateId} release`, version: '1.0.0' },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as ReleaseView;
}

export async function eventTypes(d: Driver, id: string): Promise<string[]> {
  const response = await api(d.local.url, 'GET', `/releases/${id}/events?limit=200`, {
    token: await d.token(['release-manager']),
  });
  return response.body.items.map((event: { type: string }) => event.type);
}

/** A suite's local runtime: its driver, and the token of a monitoring agent (a machine with `metrics.write`). */
export interface SuiteRuntime {
  readonly d: Driver;
  readonly agent: string;
}

/**
 * Starts a local runtime with `env` before the suite's tests and stops it, removing its data, after them. Call it
 * inside `describe`; read `d` and `agent` from the result within tests and hooks.
 */
export function localRuntimeForSuite(env: Readonly<Record<string, string>>): SuiteRuntime {
  let dataDir: string | undefined;
  let d: Driver | undefined;
  let agent: string | undefined;
  before(async () => {
    dataDir = tempDataDir();
    d = driver(await startLocalProcess(dataDir, env));
    agent = await tokenFor(d.local.dataDir, 'monitoring-agent', [], {
      machine: true,
      scopes: ['shipgate/metrics.write'],
    });
  });
  after(async () => {
    await d?.local.stop();
    if (dataDir) removeDataDir(dataDir);
  });
  return {
    get d() {
      assert.ok(d, 'the runtime has started (read it inside a test or hook)');
      return d;
    },
    get agent() {
      assert.ok(agent, 'the runtime has started (read it inside a test or hook)');
      return agent;
    },
  };
}

/** Every leaf item of a release view's phases (the items that can be changed), in checklist order. */
export function leaves(view: ReleaseView): ItemView[] {
  const out: ItemView[] = [];
  const walk = (items: readonly ItemView[]) => {
    for (const item of items) {
      if (item.children?.length) walk(item.children);
      else out.push(item);
    }
  };
  for (const phase of view.phases) for (const section of phase.sections) walk(section.items);
  return out;
}

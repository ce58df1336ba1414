// The wiring layer: every catalog entry's module defines that very function, the environment a function's needs ask
// for is read and checked (and nothing else is), and compose() wires exactly what the needs name.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Notifier } from '../../lambdas/core/ports.ts';
import {
  ESCALATION_FUNCTION,
  type FunctionDef,
  functions,
  MONITOR_FUNCTION,
  ROUTES,
  routes,
  WORKFLOW_FUNCTION,
} from '../../lambdas/functions/catalog.ts';
import { compose } from '../../lambdas/functions/compose.ts';
import { ENV, readConfig } from '../../lambdas/functions/environment.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const TABLE = { [ENV.releasesTable]: 'shipgate-test' };
const MACHINES = {
  [ENV.stateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:release',
  [ENV.escalationStateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:escalation',
};
const TOPICS = {
  [ENV.eventsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:events',
  [ENV.alarmsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:alarms',
  [ENV.alarmPrefix]: 'Shipgate.rollback',
};

/** What refusing a configuration says, or undefined when it is accepted. */
const refusal = (def: FunctionDef, env: Record<string, string>): string | undefined => {
  try {
    readConfig(def, env);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

describe('the function catalog', () => {
  it('has one entry per id, and every module defines the function of its entry and exports its handler', async () => {
    assert.equal(new Set(functions.map((fn) => fn.id)).size, functions.length);
    assert.equal(new Set(routes.map((route) => `${route.method} ${route.path}`)).size, routes.length);
    // Loading a module reads its configuration, as a cold start does: give every function all it could ask for.
    Object.assign(process.env, TABLE, MACHINES, TOPICS, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
    for (const def of functions) {
      const module = (await import(pathToFileURL(`${REPO_ROOT}/${def.entry}`).href)) as {
        fn?: { def: FunctionDef };
        handler?: unknown;
      };
      assert.equal(module.fn?.def, def, `${def.entry} defines ${def.id}`);
      assert.equal(typeof module.handler, 'function', `${def.entry} exports a handler`);
    }
  });

  it('builds every POST, PATCH and DELETE route with the records of Idempotency-Key, and no GET route', async () => {
    Object.assign(process.env, TABLE, MACHINES, TOPICS, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const env = { ...TABLE, ...MACHINES, ...TOPICS };
    for (const def of routes) {
      const module = (await import(pathToFileURL(`${REPO_ROOT}/${def.entry}`).href)) as {
        fn: { build(services: unknown): { idempotent?: boolean } };
      };
      // Building makes no call: the services are only held.
      const built = module.fn.build(compose(def, readConfig(def, env)));
      assert.equal(
        built.idempotent === true,
        def.method !== 'GET',
        `${def.method} ${def.path} honours Idempotency-Key`,
      );
    }
  });

  it('never gives a route a state machine task function', () => {
    assert.ok(routes.every((route) => route.workflow !== ('task' as string)));
    assert.equal(WORKFLOW_FUNCTION.workflow, 'task');
    assert.equal(ESCALATION_FUNCTION.escalations, 'task');
  });
});

describe('readConfig', () => {
  it('names every variable a function needs and lacks, and only those', () => {
    const message = refusal(ROUTES.recordSignoff, {});
    assert.match(message ?? '', /RELEASES_TABLE is not set/);
    assert.match(message ?? '', /STATE_MACHINE_ARN is not set/);
    assert.match(message ?? '', /ESCALATION_STATE_MACHINE_ARN is not set/);
    assert.doesNotMatch(message ?? '', /EVENTS_TOPIC_ARN|ALARM/);
    assert.match(refusal(ROUTES.createContact, TABLE) ?? '', /^Shipgate configuration is incomplete: EVENTS_TOPIC_ARN/);
    assert.match(
      refusal(MONITOR_FUNCTION, TABLE) ?? '',
      /SHIPGATE_ALARM_PREFIX is not set.*; ALARMS_TOPIC_ARN is not set/,
    );
    // The workflow's own task function answers the tokens it is handed: it needs no release state machine ARN.
    assert.equal(refusal(WORKFLOW_FUNCTION, { ...TABLE, [ENV.escalationStateMachineArn]: 'arn' }), undefined);
    assert.equal(refusal(ROUTES.health, {}), undefined);
  });

  it('refuses a time scale that is not a positive number, naming it', () => {
    assert.match(refusal(ROUTES.getRelease, { ...TABLE, [ENV.timeScale]: '-3' }) ?? '', /SHIPGATE_TIME_SCALE must be/);
    assert.equal(readConfig(ROUTES.getRelease, { ...TABLE, [ENV.timeScale]: '3600' }).timeScale, 3600);
    assert.equal(readConfig(ROUTES.getRelease, TABLE).timeScale, 1);
  });

  it('reads only what the needs name: a read-only route is given no state machine even when the variable is set', () => {
    const config = readConfig(ROUTES.getRelease, { ...TABLE, ...MACHINES, ...TOPICS });
    assert.equal(config.releasesTable, 'shipgate-test');
    assert.equal(config.stateMachineArn, undefined);
    assert.equal(config.eventsTopicArn, undefined);
    assert.equal(config.alarms, undefined);
  });
});

describe('compose', () => {
  it('gives a function without workflow needs a workflow that refuses, saying it is not wired', async () => {
    const { releases } = compose(ROUTES.getRelease, readConfig(ROUTES.getRelease, TABLE));
    await assert.rejects(releases.workflow.start('r1'), /not wired to the release workflow/);
  });

  it('uses the notifier it is handed, and without one and without the topic only shows subscriptions', async () => {
    const published: string[] = [];
    const local: Notifier = {
      publish: async (notification) => {
        published.push(notification.id);
        return { messageId: 'm1' };
      },
      subscribe: async () => [],
      unsubscribe: async () => undefined,
      refresh: async () => [],
    };
    const handed = compose(ROUTES.listContacts, readConfig(ROUTES.listContacts, TABLE), { notifier: local });
    assert.equal(handed.notifications.notifier, local);
    const bare = compose(ROUTES.listContacts, readConfig(ROUTES.listContacts, TABLE));
    await assert.rejects(
      bare.notifications.notifier.subscribe({} as never, {}),
      /not wired to the release-events topic/,
    );
    const contact = { subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', state: 'confirmed' }] };
    assert.deepEqual(await bare.notifications.notifier.refresh(contact as never), contact.subscriptions);
  });

  it('refuses to build the monitor without metric alarms to use', () => {
    const config = readConfig(MONITOR_FUNCTION, { ...TABLE, ...TOPICS });
    assert.throws(() => compose(MONITOR_FUNCTION, config), /needs CloudWatch alarms/);
    const alarms = {
      putSamples: async () => undefined,
      putAlarms: async () => undefined,
      deleteAlarms: async () => undefined,
    };
    const { monitoring } = compose(MONITOR_FUNCTION, config, { metricAlarms: alarms });
    assert.equal(monitoring.alarms, alarms);
    assert.equal(monitoring.alarmPrefix, 'Shipgate.rollback');
  });
});

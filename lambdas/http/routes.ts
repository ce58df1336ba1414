// The one route table: CDK creates a function and an API Gateway route from each entry, and the local gateway
// dispatches requests with it to the same handler modules.
import { releasesTable, type TableSchema } from '../adapters/dynamodb/table-schema.ts';

/**
 * What a function may do with a table. `read`: GetItem, Query. `write`: `read` plus PutItem, UpdateItem and
 * ConditionCheckItem (what TransactWriteItems needs). Nothing Shipgate runs deletes a row.
 */
export type TableAccess = 'read' | 'write';

export interface RouteDef {
  /** Stable name: the CDK construct id of the function and the handler module's file name. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway route path with `{name}` parameters. */
  readonly path: string;
  /** False only for routes a load balancer or uptime probe calls without a token. */
  readonly authenticated: boolean;
  readonly tables: readonly { readonly table: TableSchema; readonly access: TableAccess }[];
  /**
   * What the route does to release workflows: `start` starts executions, `respond` also answers callback tasks
   * (task success when a wait is satisfied, task failure on rollback) and stops executions. Absent: nothing.
   */
  readonly workflow?: 'start' | 'respond' | undefined;
  /** `subscribe`: the route manages SNS subscriptions of the release-events topic (contacts). */
  readonly notifier?: 'subscribe' | undefined;
}

const read = [{ table: releasesTable, access: 'read' }] as const;
const write = [{ table: releasesTable, access: 'write' }] as const;

export const routes: readonly RouteDef[] = [
  { id: 'health', method: 'GET', path: '/health', authenticated: false, tables: [] },
  { id: 'list-templates', method: 'GET', path: '/templates', authenticated: true, tables: [] },
  { id: 'get-template', method: 'GET', path: '/templates/{templateId}', authenticated: true, tables: [] },
  { id: 'create-release', method: 'POST', path: '/releases', authenticated: true, tables: write, workflow: 'start' },
  { id: 'list-releases', method: 'GET', path: '/releases', authenticated: true, tables: read },
  { id: 'get-release', method: 'GET', path: '/releases/{releaseId}', authenticated: true, tables: read },
  {
    id: 'update-item',
    method: 'PATCH',
    path: '/releases/{releaseId}/items/{itemId}',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'record-signoff',
    method: 'POST',
    path: '/releases/{releaseId}/signoffs',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'withdraw-signoff',
    method: 'DELETE',
    path: '/releases/{releaseId}/signoffs/{gate}/{role}',
    authenticated: true,
    tables: write,
  },
  { id: 'list-events', method: 'GET', path: '/releases/{releaseId}/events', authenticated: true, tables: read },
  {
    id: 'advance-release',
    method: 'POST',
    path: '/releases/{releaseId}/advance',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'resume-release',
    method: 'POST',
    path: '/releases/{releaseId}/resume',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'rollback-release',
    method: 'POST',
    path: '/releases/{releaseId}/rollback',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'dismiss-rollback',
    method: 'POST',
    path: '/releases/{releaseId}/rollback/dismiss',
    authenticated: true,
    tables: write,
  },
  {
    id: 'cancel-release',
    method: 'POST',
    path: '/releases/{releaseId}/cancel',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'acknowledge-release',
    method: 'POST',
    path: '/releases/{releaseId}/acknowledge',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  {
    id: 'record-metrics',
    method: 'POST',
    path: '/releases/{releaseId}/metrics',
    authenticated: true,
    tables: write,
    workflow: 'respond',
  },
  { id: 'get-report', method: 'GET', path: '/releases/{releaseId}/report', authenticated: true, tables: read },
  {
    id: 'list-notifications',
    method: 'GET',
    path: '/releases/{releaseId}/notifications',
    authenticated: true,
    tables: read,
  },
  {
    id: 'create-contact',
    method: 'POST',
    path: '/contacts',
    authenticated: true,
    tables: write,
    notifier: 'subscribe',
  },
  { id: 'list-contacts', method: 'GET', path: '/contacts', authenticated: true, tables: read },
  {
    id: 'delete-contact',
    method: 'DELETE',
    path: '/contacts/{contactId}',
    authenticated: true,
    tables: write,
    notifier: 'subscribe',
  },
];

/**
 * The function that turns audit events into notifications: it consumes the table's stream (new audit event rows),
 * records each notification, then publishes it to the release-events topic, retrying until it is published.
 */
export const NOTIFIER_FUNCTION = {
  id: 'notifier',
  entry: 'lambdas/events/notifier.ts',
  tables: write,
} as const;

/**
 * The function the escalation state machine's tasks invoke (page, await acknowledgement). Its own function, so
 * the release workflow's function may start escalations (it knows the escalation state machine) without a cycle.
 */
export const ESCALATION_FUNCTION = {
  id: 'escalation',
  entry: 'lambdas/workflow/escalation-handler.ts',
  tables: write,
} as const;

/**
 * The function subscribed to the alarms topic: a CloudWatch alarm going into ALARM rolls back (or proposes to roll
 * back) the releases that named it or that its ReleaseId dimension points at.
 */
export const ALARM_FUNCTION = {
  id: 'alarm-rollback',
  entry: 'lambdas/events/alarm-handler.ts',
  tables: write,
} as const;

/**
 * The monitor: reads the releases table's stream (MONITOR_RECORDS), puts new metric samples to CloudWatch and keeps
 * the CloudWatch alarms of a release's rollback triggers while it is in post-release monitoring.
 */
export const MONITOR_FUNCTION = {
  id: 'monitor',
  entry: 'lambdas/events/monitor.ts',
  tables: read,
} as const;

/** The function the state machine's tasks invoke (decide and await); not an HTTP route. */
export const WORKFLOW_FUNCTION = {
  id: 'workflow',
  entry: 'lambdas/workflow/handler.ts',
  tables: write,
} as const;

/** The handler module of a route, relative to the repository root. */
export const routeEntry = (route: RouteDef): string => `lambdas/http/handlers/${route.id}.ts`;

// The catalog of every Shipgate function: what it is, where its handler lives, and what it needs (tables, the
// release workflow, the escalations, the release-events topic, CloudWatch). CDK grants exactly these needs and sets
// their environment; compose() builds exactly these adapters; the local gateway serves the routes from it.
import { releasesTable, type TableSchema } from '../adapters/dynamodb/table-schema.ts';

/**
 * What a function may do with a table. `read`: GetItem, Query. `write`: `read` plus PutItem, UpdateItem and
 * ConditionCheckItem (what TransactWriteItems needs). Nothing Shipgate runs deletes a row.
 */
export type TableAccess = 'read' | 'write';

/**
 * What a function does with the release workflow. `start`: starts executions. `respond`: also answers the callback
 * tasks executions wait on (success when a wait is satisfied, failure on rollback), stops executions, and starts and
 * answers escalations (requesting a rollback pages people; acknowledging answers the page). `task`: the state
 * machine's own task function, which answers only the tokens it is handed (and gets no state machine ARN: its
 * definition names the function, so the reverse would be a cycle).
 */
export type WorkflowAccess = 'start' | 'respond' | 'task';

/** What a function does with the escalation state machine alone: `start` escalations, or be its `task` function. */
export type EscalationAccess = 'start' | 'task';

/** What a function does with the release-events topic: `publish` notifications, or `subscribe` contacts to it. */
export type NotifierAccess = 'publish' | 'subscribe';

/** What a function needs. */
export interface FunctionNeeds {
  readonly tables: readonly { readonly table: TableSchema; readonly access: TableAccess }[];
  readonly workflow?: WorkflowAccess | undefined;
  readonly escalations?: EscalationAccess | undefined;
  readonly notifier?: NotifierAccess | undefined;
  /** `manage`: puts samples to CloudWatch and creates and deletes the alarms of rollback triggers (the monitor). */
  readonly alarms?: 'manage' | undefined;
  /**
   * Serves the templates themselves: `read` the built-ins and the imported versions, `write` also imports versions
   * and archives. (Every function with a table can make a release from a template; these manage them.)
   */
  readonly templates?: 'read' | 'write' | undefined;
}

/** One function. */
export interface FunctionDef extends FunctionNeeds {
  /** Stable name: the CDK construct id of the function. */
  readonly id: string;
  /** The handler module, relative to the repository root; it exports `fn` (its definition) and `handler`. */
  readonly entry: string;
}

/** A function behind an API Gateway route (never a state machine's task function). */
export interface RouteDef extends FunctionDef {
  readonly workflow?: Exclude<WorkflowAccess, 'task'> | undefined;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway route path with `{name}` parameters. */
  readonly path: string;
  /** False only for routes a load balancer or uptime probe calls without a token. */
  readonly authenticated: boolean;
}

const read = [{ table: releasesTable, access: 'read' }] as const;
const write = [{ table: releasesTable, access: 'write' }] as const;

type RouteNeeds = Omit<RouteDef, 'id' | 'entry' | 'method' | 'path' | 'authenticated'>;

/** A route whose handler module is `lambdas/http/handlers/<id>.ts`, behind the JWT authorizer. */
const route = <const I extends string, const N extends RouteNeeds>(
  id: I,
  method: RouteDef['method'],
  path: string,
  needs: N,
) => ({ id, entry: `lambdas/http/handlers/${id}.ts` as const, method, path, authenticated: true, ...needs });

/** The route table: CDK creates a function and an API Gateway route from each entry; the local gateway dispatches. */
export const ROUTES = {
  health: { ...route('health', 'GET', '/health', { tables: [] }), authenticated: false },
  ready: { ...route('ready', 'GET', '/health/ready', { tables: read }), authenticated: false },
  openapi: { ...route('openapi', 'GET', '/openapi.json', { tables: [] }), authenticated: false },
  listTemplates: route('list-templates', 'GET', '/templates', { tables: read, templates: 'read' }),
  importTemplate: route('import-template', 'POST', '/templates', { tables: write, templates: 'write' }),
  getTemplate: route('get-template', 'GET', '/templates/{templateId}', { tables: read, templates: 'read' }),
  getTemplateVersion: route('get-template-version', 'GET', '/templates/{templateId}/versions/{version}', {
    tables: read,
    templates: 'read',
  }),
  exportTemplate: route('export-template', 'GET', '/templates/{templateId}/checklist.md', {
    tables: read,
    templates: 'read',
  }),
  archiveTemplate: route('archive-template', 'POST', '/templates/{templateId}/archive', {
    tables: write,
    templates: 'write',
  }),
  createRelease: route('create-release', 'POST', '/releases', { tables: write, workflow: 'start' }),
  listReleases: route('list-releases', 'GET', '/releases', { tables: read }),
  getRelease: route('get-release', 'GET', '/releases/{releaseId}', { tables: read }),
  exportRelease: route('export-release', 'GET', '/releases/{releaseId}/checklist.md', { tables: read }),
  updateItem: route('update-item', 'PATCH', '/releases/{releaseId}/items/{itemId}', {
    tables: write,
    workflow: 'respond',
  }),
  recordSignoff: route('record-signoff', 'POST', '/releases/{releaseId}/signoffs', {
    tables: write,
    workflow: 'respond',
  }),
  withdrawSignoff: route('withdraw-signoff', 'DELETE', '/releases/{releaseId}/signoffs/{gate}/{role}', {
    tables: write,
  }),
  listEvents: route('list-events', 'GET', '/releases/{releaseId}/events', { tables: read }),
  advanceRelease: route('advance-release', 'POST', '/releases/{releaseId}/advance', {
    tables: write,
    workflow: 'respond',
  }),
  resumeRelease: route('resume-release', 'POST', '/releases/{releaseId}/resume', {
    tables: write,
    workflow: 'respond',
  }),
  rollbackRelease: route('rollback-release', 'POST', '/releases/{releaseId}/rollback', {
    tables: write,
    workflow: 'respond',
  }),
  dismissRollback: route('dismiss-rollback', 'POST', '/releases/{releaseId}/rollback/dismiss', { tables: write }),
  cancelRelease: route('cancel-release', 'POST', '/releases/{releaseId}/cancel', {
    tables: write,
    workflow: 'respond',
  }),
  acknowledgeRelease: route('acknowledge-release', 'POST', '/releases/{releaseId}/acknowledge', {
    tables: write,
    workflow: 'respond',
  }),
  recordMetrics: route('record-metrics', 'POST', '/releases/{releaseId}/metrics', {
    tables: write,
    workflow: 'respond',
  }),
  getReport: route('get-report', 'GET', '/releases/{releaseId}/report', { tables: read }),
  listNotifications: route('list-notifications', 'GET', '/releases/{releaseId}/notifications', { tables: read }),
  createContact: route('create-contact', 'POST', '/contacts', { tables: write, notifier: 'subscribe' }),
  listContacts: route('list-contacts', 'GET', '/contacts', { tables: read }),
  deleteContact: route('delete-contact', 'DELETE', '/contacts/{contactId}', { tables: write, notifier: 'subscribe' }),
} as const satisfies Record<string, RouteDef>;

/** Every route, in the order of the route table. */
export const routes: readonly RouteDef[] = Object.values(ROUTES);

/**
 * The function that turns audit events into notifications: it consumes the table's stream (new audit event rows),
 * records each notification, then publishes it to the release-events topic, retrying until it is published.
 */
export const NOTIFIER_FUNCTION = {
  id: 'notifier',
  entry: 'lambdas/events/notifier.ts',
  tables: write,
  notifier: 'publish',
} as const satisfies FunctionDef;

/**
 * The function the escalation state machine's tasks invoke (page, await acknowledgement). Its own function, so the
 * release workflow's function may start escalations (it knows the escalation state machine) without a cycle.
 */
export const ESCALATION_FUNCTION = {
  id: 'escalation',
  entry: 'lambdas/workflow/escalation-handler.ts',
  tables: write,
  escalations: 'task',
} as const satisfies FunctionDef;

/**
 * The function subscribed to the alarms topic: a CloudWatch alarm going into ALARM rolls back (or proposes to roll
 * back) the releases that named it or that its ReleaseId dimension points at.
 */
export const ALARM_FUNCTION = {
  id: 'alarm-rollback',
  entry: 'lambdas/events/alarm-handler.ts',
  tables: write,
  workflow: 'respond',
} as const satisfies FunctionDef;

/**
 * The monitor: reads the releases table's stream (MONITOR_RECORDS), puts new metric samples to CloudWatch and keeps
 * the CloudWatch alarms of a release's rollback triggers while it is in post-release monitoring.
 */
export const MONITOR_FUNCTION = {
  id: 'monitor',
  entry: 'lambdas/events/monitor.ts',
  tables: read,
  alarms: 'manage',
} as const satisfies FunctionDef;

/** The function the state machine's tasks invoke (decide and await); an overdue gate starts an escalation. */
export const WORKFLOW_FUNCTION = {
  id: 'workflow',
  entry: 'lambdas/workflow/handler.ts',
  tables: write,
  workflow: 'task',
  escalations: 'start',
} as const satisfies FunctionDef;

/** Every function Shipgate runs: the routes, then the others. */
export const functions: readonly FunctionDef[] = [
  ...routes,
  NOTIFIER_FUNCTION,
  ESCALATION_FUNCTION,
  ALARM_FUNCTION,
  MONITOR_FUNCTION,
  WORKFLOW_FUNCTION,
];

// The bodies the HTTP API answers with, named for its OpenAPI document (scripts/openapi.ts turns these types into
// JSON Schemas; docs/openapi.json). Types only: nothing here is bundled.
import type { MetricsOutcome } from '../core/monitoring/metrics-use-cases.ts';
import type { WindowReport } from '../core/monitoring/report.ts';
import type { Contact, Delivery, Notification } from '../core/notify/notification.ts';
import type { Page } from '../core/ports.ts';
import type { SignoffOutcome } from '../core/release/checklist-use-cases.ts';
import type { AuditEvent, Release } from '../core/release/release.ts';
import type { Readiness } from '../core/release/release-use-cases.ts';
import type { ItemView, ReleaseView } from '../core/release/view.ts';
import type { TemplateDocument } from '../core/template/library.ts';
import type { ImportTemplateOutcome, TemplateSummary } from '../core/template/template-use-cases.ts';

export interface Health {
  status: 'ok';
  service: 'shipgate';
}
export type { ItemView, MetricsOutcome, Readiness, ReleaseView, SignoffOutcome, TemplateDocument, TemplateSummary };
export type ImportOutcome = ImportTemplateOutcome;
export interface TemplateList {
  items: TemplateSummary[];
}
export type ReleasePage = Page<Release>;
export type EventPage = Page<AuditEvent>;
export type ContactAnswer = Contact;
export type ContactPage = Page<Contact>;
export type NotificationPage = Page<Notification & { delivery: Delivery }>;
export interface ReleaseReport {
  releaseId: string;
  windows: WindowReport[];
}

/** The OpenAPI document itself (GET /openapi.json). */
export type OpenApiDocument = Record<string, unknown>;

/** What a route answers when it succeeds: its status, and the body's type above, or a Markdown document. */
export interface Answer {
  readonly status: 200 | 201;
  readonly body: string | { readonly markdown: true };
  /** Another success status the route may answer with, and when. */
  readonly also?: { readonly status: 200; readonly when: string } | undefined;
}

const json = (body: string, status: 200 | 201 = 200): Answer => ({ status, body });
const markdown: Answer = { status: 200, body: { markdown: true } };

/** Every route's answer; a route missing here fails the type check (and the OpenAPI tests). */
export const ANSWERS = {
  health: json('Health'),
  ready: json('Readiness'),
  openapi: json('OpenApiDocument'),
  listTemplates: json('TemplateList'),
  importTemplate: { ...json('ImportOutcome', 201), also: { status: 200, when: 'dryRun=true: nothing is saved' } },
  getTemplate: json('TemplateDocument'),
  getTemplateVersion: json('TemplateDocument'),
  exportTemplate: markdown,
  archiveTemplate: json('TemplateSummary'),
  createRelease: json('ReleaseView', 201),
  listReleases: json('ReleasePage'),
  getRelease: json('ReleaseView'),
  exportRelease: markdown,
  updateItem: json('ItemView'),
  recordSignoff: json('SignoffOutcome'),
  withdrawSignoff: json('SignoffOutcome'),
  listEvents: json('EventPage'),
  advanceRelease: json('ReleaseView'),
  resumeRelease: json('ReleaseView'),
  rollbackRelease: json('ReleaseView'),
  dismissRollback: json('ReleaseView'),
  cancelRelease: json('ReleaseView'),
  acknowledgeRelease: json('ReleaseView'),
  recordMetrics: json('MetricsOutcome'),
  getReport: json('ReleaseReport'),
  listNotifications: json('NotificationPage'),
  createContact: json('ContactAnswer', 201),
  listContacts: json('ContactPage'),
  deleteContact: json('ContactAnswer'),
} as const satisfies Record<string, Answer>;

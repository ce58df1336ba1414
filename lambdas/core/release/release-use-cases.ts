// The use cases of releases as a whole: creating one from a template, reading it, listing releases and the audit
// trail.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound, RuleViolation } from '../errors.ts';
import type { Page, PageQuery } from '../ports.ts';
import { resolveTemplate } from '../template/library.ts';
import { transition } from '../workflow/workflow.ts';
import type { ReleaseContext } from './context.ts';
import { SYSTEM } from './context.ts';
import { releaseMarkdown } from './export.ts';
import type { AuditEvent, Release } from './release.ts';
import type { ReleaseStatus } from './status.ts';
import { STATUS_OF_PHASE } from './status.ts';
import type { ReleaseView } from './view.ts';
import { releaseView } from './view.ts';

export interface CreateReleaseInput {
  /** CloudWatch alarms to watch: one going into ALARM after production deployment starts rolls the release back. */
  readonly alarmNames?: readonly string[] | undefined;
  readonly templateId: string;
  /** The version of the template to use. @default the latest */
  readonly templateVersion?: number | undefined;
  readonly name: string;
  readonly version: string;
  readonly description?: string | undefined;
  readonly plannedAt?: string | undefined;
}

export type ListReleasesQuery = PageQuery & { readonly status?: ReleaseStatus | undefined };

/** The template version a release is made from; an archived template makes no new release. */
async function templateOf(ctx: ReleaseContext, input: CreateReleaseInput) {
  const library = { builtIns: ctx.templates, store: ctx.templateStore };
  const found = await resolveTemplate(library, input.templateId, input.templateVersion);
  if ((await ctx.templateStore.getHead(input.templateId))?.archived) {
    throw new RuleViolation('template-archived', `template ${input.templateId} is archived`, {
      fix: `bring it back with POST /templates/${input.templateId}/archive {"archived": false}`,
    });
  }
  return found;
}

/** Creates a release from a snapshot of its template, decides its first wait, and starts its workflow. */
export async function createRelease(
  ctx: ReleaseContext,
  actor: Actor,
  input: CreateReleaseInput,
): Promise<ReleaseView> {
  authorize(actor, { kind: 'create-release' });
  const { template: snapshot, version: templateVersion } = await templateOf(ctx, input);
  const first = snapshot.phases[0];
  if (!first) throw new NotFound('template phase', input.templateId);
  const at = ctx.now();
  const draft: Release = {
    id: ctx.ids.id(),
    templateId: snapshot.id,
    templateVersion,
    templateName: snapshot.name,
    name: input.name,
    version: input.version,
    description: input.description,
    plannedAt: input.plannedAt,
    ...(input.alarmNames?.length ? { alarmNames: [...new Set(input.alarmNames)] } : {}),
    status: STATUS_OF_PHASE[first.kind],
    currentPhase: first.id,
    stepIndex: 0,
    windowIndex: 0,
    revision: 1,
    createdAt: at,
    createdBy: actorRef(actor),
    updatedAt: at,
  };
  // The first wait is decided here, so the release says what it waits for from its first read on.
  const empty = { template: snapshot, items: new Map(), signoffs: new Map() };
  const started = transition({ ...empty, release: draft }, { kind: 'start' }, ctx.clock.now(), {
    timeScale: ctx.timeScale,
  });
  const release = { ...started.release, revision: 1 };
  await ctx.store.create(release, snapshot, [
    ctx.event(release.id, 'release.created', actorRef(actor), at, {
      templateId: snapshot.id,
      templateVersion,
      name: release.name,
      version: release.version,
      status: release.status,
      phase: release.currentPhase,
    }),
    ...ctx.events(release.id, started.events, SYSTEM, at),
  ]);
  // Named after the release, the execution cannot be started twice; if this fails, POST /advance starts it.
  try {
    await ctx.workflow.start(release.id);
  } catch (error) {
    ctx.reportWorkflowError(error, { releaseId: release.id, during: 'start' });
  }
  return releaseView({ ...empty, release });
}

/** The release with its checklist, sign-offs and what it waits for. */
export async function getRelease(ctx: ReleaseContext, actor: Actor, releaseId: string): Promise<ReleaseView> {
  authorize(actor, { kind: 'read' });
  return releaseView(await ctx.load(releaseId));
}

/** Releases newest first, optionally of one status. */
export async function listReleases(
  ctx: ReleaseContext,
  actor: Actor,
  query: ListReleasesQuery,
): Promise<Page<Release>> {
  authorize(actor, { kind: 'read' });
  return ctx.store.list(query);
}

/** The audit trail of a release, oldest first. */
export async function listEvents(
  ctx: ReleaseContext,
  actor: Actor,
  releaseId: string,
  query: PageQuery,
): Promise<Page<AuditEvent>> {
  authorize(actor, { kind: 'read' });
  const page = await ctx.store.listEvents(releaseId, query);
  // Every release has its creation event, so an empty page may mean the release does not exist.
  if (page.items.length === 0 && !(await ctx.store.getHeader(releaseId))) {
    throw new NotFound('release', releaseId);
  }
  return page;
}

/** The release as a filled-in Markdown checklist: its template's headings and items, ticked, with who did what. */
export async function exportRelease(ctx: ReleaseContext, actor: Actor, releaseId: string): Promise<string> {
  authorize(actor, { kind: 'read' });
  const agg = await ctx.load(releaseId);
  const trail: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.listEvents(releaseId, { limit: 200, cursor });
    trail.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return releaseMarkdown(agg, trail);
}

/** What the readiness probe answers. */
export interface Readiness {
  readonly status: 'ready';
  readonly service: 'shipgate';
  readonly database: 'ok';
}

/**
 * Whether Shipgate can serve: one consistent read of a key no release can have. An unreachable database throws, and
 * the caller answers 503 (see lambdas/adapters/outage.ts); no token is needed, and nothing of a release is read.
 */
export async function checkReadiness(ctx: ReleaseContext): Promise<Readiness> {
  await ctx.store.getHeader('readiness-probe');
  return { status: 'ready', service: 'shipgate', database: 'ok' };
}

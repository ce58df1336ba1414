// The use cases of releases and templates: authorize, load, decide with the rules, write atomically.
import type { Actor } from './actor.ts';
import { actorRef } from './actor.ts';
import { NotFound, StaleVersion } from './errors.ts';
import { authorize } from './permissions.ts';
import type { Clock, IdGenerator, Page, PageQuery, ReleaseStore, TemplateCatalog } from './ports.ts';
import type {
  AuditEvent,
  AuditEventType,
  ItemUpdate,
  Release,
  ReleaseAggregate,
  ReleaseStatus,
  Signoff,
  SignoffInput,
} from './release.ts';
import {
  decideItemUpdate,
  decideSignoff,
  decideWithdrawal,
  findGate,
  gateStatus,
  itemIndex,
  STATUS_OF_PHASE,
  signoffKey,
} from './release.ts';
import type { Template } from './template.ts';
import type { ItemView, ReleaseView } from './view.ts';
import { itemView, releaseView } from './view.ts';

export interface ReleasesServiceDeps {
  readonly store: ReleaseStore;
  readonly templates: TemplateCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Waits before retrying a write that lost a race; the default backs off exponentially with full jitter. */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** How often a write that lost a race is decided again on fresh state before giving up with 409. @default 30 */
  readonly maxAttempts?: number;
}

export interface CreateReleaseInput {
  readonly templateId: string;
  readonly name: string;
  readonly version: string;
  readonly description?: string | undefined;
  readonly plannedAt?: string | undefined;
}

const defaultBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

export function makeReleasesService(deps: ReleasesServiceDeps) {
  const { store, templates, clock, ids } = deps;
  const backoff = deps.backoff ?? defaultBackoff;
  const maxAttempts = deps.maxAttempts ?? 30;

  const now = (): string => clock.now().toISOString();

  const event = (releaseId: string, type: AuditEventType, actor: Actor, at: string, data: AuditEvent['data']) => ({
    id: ids.eventId(),
    releaseId,
    type,
    at,
    actor: actorRef(actor),
    data,
  });

  async function load(releaseId: string): Promise<ReleaseAggregate> {
    const agg = await store.load(releaseId);
    if (!agg) throw new NotFound('release', releaseId);
    return agg;
  }

  /**
   * Runs load-decide-write until the write lands. A write that lost a race is decided again on fresh state, so a
   * concurrent change is never overwritten and every rule is checked against what is really stored.
   */
  async function retrying<T>(attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 0; ; n += 1) {
      try {
        return await attempt(n);
      } catch (error) {
        if (
          !(error instanceof StaleVersion) ||
          n + 1 >= maxAttempts ||
          error.extensions.expectedVersion !== undefined
        ) {
          throw error;
        }
        await backoff(n);
      }
    }
  }

  function template(templateId: string): Template {
    const found = templates.get(templateId);
    if (!found) throw new NotFound('template', templateId);
    return found;
  }

  return {
    async createRelease(actor: Actor, input: CreateReleaseInput): Promise<ReleaseView> {
      authorize(actor, { kind: 'create-release' });
      const snapshot = template(input.templateId);
      const first = snapshot.phases[0];
      if (!first) throw new NotFound('template phase', input.templateId);
      const at = now();
      const release: Release = {
        id: ids.releaseId(),
        templateId: snapshot.id,
        templateName: snapshot.name,
        name: input.name,
        version: input.version,
        description: input.description,
        plannedAt: input.plannedAt,
        status: STATUS_OF_PHASE[first.kind],
        currentPhase: first.id,
        revision: 1,
        createdAt: at,
        createdBy: actorRef(actor),
        updatedAt: at,
      };
      await store.create(
        release,
        snapshot,
        event(release.id, 'release.created', actor, at, {
          templateId: snapshot.id,
          name: release.name,
          version: release.version,
          status: release.status,
          phase: release.currentPhase,
        }),
      );
      return releaseView({ release, template: snapshot, items: new Map(), signoffs: new Map() });
    },

    async getRelease(actor: Actor, releaseId: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'read' });
      return releaseView(await load(releaseId));
    },

    async listReleases(
      actor: Actor,
      query: PageQuery & { status?: ReleaseStatus | undefined },
    ): Promise<Page<Release>> {
      authorize(actor, { kind: 'read' });
      return store.list(query);
    },

    async updateItem(actor: Actor, releaseId: string, itemId: string, update: ItemUpdate): Promise<ItemView> {
      // Refused before anything is read, a caller who may not write items learns nothing of which releases exist.
      authorize(actor, { kind: 'update-item', itemId });
      return retrying(async () => {
        const agg = await load(releaseId);
        const entry = itemIndex(agg.template).get(itemId);
        if (!entry) throw new NotFound('item', itemId);
        authorize(actor, {
          kind: 'update-item',
          itemId,
          item: entry.item,
          teamRoles: agg.template.roles.map((r) => r.id),
        });
        const at = now();
        const { previous, next } = decideItemUpdate(agg, itemId, update, actorRef(actor), at);
        await store.saveItem(
          releaseId,
          next,
          previous.version,
          event(releaseId, 'item.updated', actor, at, {
            itemId,
            from: previous.status,
            to: next.status,
            version: next.version,
            ...(next.evidence ? { evidence: next.evidence } : {}),
            ...(next.reason ? { reason: next.reason } : {}),
          }),
        );
        const items = new Map(agg.items).set(itemId, next);
        return itemView({ ...agg, items }, entry.item);
      });
    },

    async recordSignoff(actor: Actor, releaseId: string, input: SignoffInput) {
      return retrying(async () => {
        authorize(actor, { kind: 'sign', role: input.role });
        const agg = await load(releaseId);
        const at = now();
        const signoff = decideSignoff(agg, input, actorRef(actor), at);
        return saveSignoff(agg, signoff, actor, 'signoff.recorded');
      });
    },

    async withdrawSignoff(actor: Actor, releaseId: string, gate: string, role: string) {
      return retrying(async () => {
        authorize(actor, { kind: 'withdraw-signoff', role });
        const agg = await load(releaseId);
        const signoff = decideWithdrawal(agg, gate, role, actorRef(actor), now());
        return saveSignoff(agg, signoff, actor, 'signoff.withdrawn');
      });
    },

    async listEvents(actor: Actor, releaseId: string, query: PageQuery): Promise<Page<AuditEvent>> {
      authorize(actor, { kind: 'read' });
      const page = await store.listEvents(releaseId, query);
      // Every release has its creation event, so an empty page may mean the release does not exist.
      if (page.items.length === 0 && !(await store.getHeader(releaseId))) {
        throw new NotFound('release', releaseId);
      }
      return page;
    },
  };

  async function saveSignoff(agg: ReleaseAggregate, signoff: Signoff, actor: Actor, type: AuditEventType) {
    await store.saveSignoff(
      agg.release,
      signoff,
      event(agg.release.id, type, actor, signoff.at, {
        gate: signoff.gate,
        role: signoff.role,
        decision: signoff.decision,
        ...(signoff.comment ? { comment: signoff.comment } : {}),
        revision: agg.release.revision + 1,
      }),
    );
    const signoffs = new Map(agg.signoffs).set(signoffKey(signoff.gate, signoff.role), signoff);
    const release = { ...agg.release, revision: agg.release.revision + 1, updatedAt: signoff.at };
    const { phase } = findGate(agg.template, signoff.gate);
    return {
      signoff,
      release: { id: release.id, revision: release.revision },
      gate: gateStatus({ ...agg, release, signoffs }, phase),
    };
  }
}

export type ReleasesService = ReturnType<typeof makeReleasesService>;

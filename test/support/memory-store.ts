// An in-memory ReleaseStore with the same conditional, all-or-nothing semantics as the DynamoDB one, for unit tests.
import { StaleVersion, ValidationFailed } from '../../lambdas/core/errors.ts';
import type { MetricSample } from '../../lambdas/core/monitoring/samples.ts';
import {
  MAX_SAMPLES_PER_BATCH,
  type Page,
  type PageQuery,
  type ReleaseStore,
  type SignoffChange,
} from '../../lambdas/core/ports.ts';
import { signoffVersion } from '../../lambdas/core/release/gates.ts';
import type { AuditEvent, ItemState, Release, ReleaseAggregate, Signoff } from '../../lambdas/core/release/release.ts';
import { signoffKey } from '../../lambdas/core/release/release.ts';
import type { ReleaseStatus } from '../../lambdas/core/release/status.ts';
import type { Template } from '../../lambdas/core/template/template.ts';

interface Stored {
  samples?: MetricSample[];
  task?: { waitId: string; token: string } | undefined;
  escalationTask?: { escalationId: string; token: string } | undefined;
  release: Release;
  template: Template;
  items: Map<string, ItemState>;
  signoffs: Map<string, Signoff>;
  /** The role each person stands for at a gate (`${gate}#${actorId}`), as the DynamoDB store's guard rows hold. */
  signers: Map<string, string | undefined>;
  events: AuditEvent[];
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryReleaseStore implements ReleaseStore {
  readonly releases = new Map<string, Stored>();
  /** Called before every write lands; a test can use it to slip in a concurrent change. */
  beforeWrite: (() => Promise<void> | void) | undefined;

  async create(release: Release, template: Template, events: readonly AuditEvent[]): Promise<void> {
    await this.beforeWrite?.();
    if (this.releases.has(release.id)) throw new StaleVersion('release exists');
    this.releases.set(release.id, {
      release: clone(release),
      template: clone(template),
      items: new Map(),
      signoffs: new Map(),
      signers: new Map(),
      events: events.map(clone),
    });
  }

  async load(releaseId: string): Promise<ReleaseAggregate | undefined> {
    const stored = this.releases.get(releaseId);
    if (!stored) return undefined;
    return clone({
      release: stored.release,
      template: stored.template,
      items: stored.items,
      signoffs: stored.signoffs,
      task: stored.task,
      escalationTask: stored.escalationTask,
    });
  }

  async getHeader(releaseId: string): Promise<Release | undefined> {
    const stored = this.releases.get(releaseId);
    return stored && clone(stored.release);
  }

  async list(query: PageQuery & { status?: ReleaseStatus | undefined }): Promise<Page<Release>> {
    const all = [...this.releases.values()]
      .map((stored) => stored.release)
      .filter((release) => !query.status || release.status === query.status)
      .sort((a, b) => `${b.createdAt}#${b.id}`.localeCompare(`${a.createdAt}#${a.id}`));
    return page(all, query);
  }

  async saveItem(releaseId: string, state: ItemState, expectedVersion: number, event: AuditEvent): Promise<void> {
    await this.beforeWrite?.();
    const stored = this.#stored(releaseId);
    const current = stored.items.get(state.itemId)?.version ?? 0;
    if (current !== expectedVersion) throw new StaleVersion('item changed');
    stored.items.set(state.itemId, clone(state));
    stored.events.push(clone(event));
  }

  async saveSignoff(releaseId: string, change: SignoffChange, event: AuditEvent): Promise<void> {
    await this.beforeWrite?.();
    const stored = this.#stored(releaseId);
    const { signoff } = change;
    const key = signoffKey(signoff.gate, signoff.role);
    if (signoffVersion(stored.signoffs.get(key)) !== change.expectedVersion) throw new StaleVersion('sign-off changed');
    const claimKey = (actorId: string) => `${signoff.gate}#${actorId}`;
    for (const claim of change.claims) {
      const held = stored.signers.get(claimKey(claim.actorId));
      if (held !== undefined && held !== claim.role) throw new StaleVersion('signer stands for another role');
    }
    for (const claim of change.claims)
      stored.signers.set(claimKey(claim.actorId), claim.stands ? claim.role : undefined);
    stored.signoffs.set(key, clone(signoff));
    stored.events.push(clone(event));
  }

  async saveRelease(release: Release, expectedRevision: number, events: readonly AuditEvent[]): Promise<void> {
    await this.beforeWrite?.();
    const stored = this.#stored(release.id);
    if (stored.release.revision !== expectedRevision) throw new StaleVersion('release changed');
    stored.release = clone(release);
    stored.events.push(...events.map(clone));
  }

  async saveTaskToken(releaseId: string, waitId: string, taskToken: string): Promise<boolean> {
    const stored = this.#stored(releaseId);
    if (stored.release.wait?.id !== waitId) return false;
    stored.task = { waitId, token: taskToken };
    return true;
  }

  async saveEscalationToken(releaseId: string, escalationId: string, taskToken: string): Promise<boolean> {
    const stored = this.#stored(releaseId);
    const escalation = stored.release.escalation;
    if (escalation?.id !== escalationId || escalation.state !== 'paging') return false;
    stored.escalationTask = { escalationId, token: taskToken };
    return true;
  }

  async releasesForAlarm(alarmName: string): Promise<string[]> {
    return [...this.releases.values()]
      .filter((stored) => stored.release.alarmNames?.includes(alarmName))
      .map((stored) => stored.release.id);
  }

  async saveSamples(releaseId: string, samples: readonly MetricSample[]): Promise<void> {
    const stored = this.#stored(releaseId);
    // Keyed as the DynamoDB rows are, so a sample sent twice is kept once.
    const key = (sample: MetricSample) => `${sample.at}#${sample.name}#${sample.value}`;
    const batch = new Map(samples.map((sample) => [key(sample), clone(sample)]));
    if (batch.size > MAX_SAMPLES_PER_BATCH) throw ValidationFailed.field('samples', 'holds too many samples');
    const kept = new Map((stored.samples ?? []).map((sample) => [key(sample), sample]));
    for (const [at, sample] of batch) kept.set(at, sample);
    stored.samples = [...kept.values()];
  }

  async listSamples(releaseId: string, range: { from?: string; to?: string } = {}): Promise<MetricSample[]> {
    return (this.releases.get(releaseId)?.samples ?? [])
      .filter((sample) => (!range.from || sample.at >= range.from) && (!range.to || sample.at <= range.to))
      .sort((a, b) => a.at.localeCompare(b.at))
      .map(clone);
  }

  async listEvents(releaseId: string, query: PageQuery): Promise<Page<AuditEvent>> {
    return page(this.releases.get(releaseId)?.events ?? [], query);
  }

  #stored(releaseId: string): Stored {
    const stored = this.releases.get(releaseId);
    if (!stored) throw new Error(`no release ${releaseId}`);
    return stored;
  }
}

function page<T>(all: readonly T[], query: PageQuery): Page<T> {
  const start = query.cursor === undefined ? 0 : Number(query.cursor);
  if (!Number.isInteger(start) || start < 0) throw ValidationFailed.field('cursor', 'is not a cursor');
  const items = all.slice(start, start + query.limit).map(clone);
  const next = start + query.limit;
  return { items, cursor: next < all.length ? String(next) : undefined };
}

// The one table of who may do what. Every handler asks here; nothing else decides access.

import { Forbidden } from '../errors.ts';
import type { TemplateItem } from '../template/template.ts';
import type { Actor } from './actor.ts';
import { hasRole } from './actor.ts';

import { RELEASE_MANAGER } from './roles.ts';

export const SCOPES = {
  read: 'shipgate/read',
  itemsWrite: 'shipgate/items.write',
  metricsWrite: 'shipgate/metrics.write',
} as const;

/** What an actor wants to do, with the facts the decision needs. */
export type Action =
  | { readonly kind: 'read' }
  | { readonly kind: 'create-release' }
  | { readonly kind: 'cancel-release' }
  | { readonly kind: 'advance-release' }
  | { readonly kind: 'rollback-release' }
  | { readonly kind: 'manage-contacts' }
  | { readonly kind: 'manage-templates' }
  | { readonly kind: 'push-metrics' }
  /**
   * Without `item` and `teamRoles` this is the check made before the release is read: could this actor update
   * any item at all? The full check follows once the item is known.
   */
  | {
      readonly kind: 'update-item';
      readonly itemId: string;
      readonly item?: TemplateItem | undefined;
      readonly teamRoles?: readonly string[] | undefined;
    }
  | { readonly kind: 'sign'; readonly role: string }
  /** Acknowledging a page: `roles` are the roles of the escalation chain (and the release manager). */
  | { readonly kind: 'acknowledge'; readonly roles: readonly string[] }
  | { readonly kind: 'withdraw-signoff'; readonly role: string };

type ActionOf<K extends Action['kind']> = Extract<Action, { kind: K }>;

/**
 * A rule: the permission name a denial reports, which people may (by role), and which machine clients may (by
 * scope). `people: 'any'` is every signed-in person; `machines: undefined` is no machine.
 */
interface Rule<K extends Action['kind']> {
  readonly permission: (action: ActionOf<K>) => string;
  readonly people: 'any' | ((actor: Actor, action: ActionOf<K>) => boolean);
  readonly machines?: (actor: Actor, action: ActionOf<K>) => boolean;
}

const releaseManager = (actor: Actor) => hasRole(actor, RELEASE_MANAGER);
const scope = (name: string) => (actor: Actor) => actor.scopes.includes(name);

/** The permission table. The README's API section and the permission-matrix test follow it. */
export const RULES: { readonly [K in Action['kind']]: Rule<K> } = {
  read: { permission: () => 'release:read', people: 'any', machines: scope(SCOPES.read) },
  'create-release': { permission: () => 'release:create', people: releaseManager },
  'cancel-release': { permission: () => 'release:cancel', people: releaseManager },
  'advance-release': { permission: () => 'release:advance', people: releaseManager },
  'rollback-release': { permission: () => 'release:rollback', people: releaseManager },
  'manage-contacts': { permission: () => 'contacts:manage', people: releaseManager },
  'manage-templates': { permission: () => 'templates:manage', people: releaseManager },
  'push-metrics': { permission: () => 'metrics:write', people: () => false, machines: scope(SCOPES.metricsWrite) },
  'update-item': {
    permission: (action) => `item:update:${action.itemId}`,
    // Anyone on the release's team; a release manager always. A template that names no role (a checklist without a
    // sign-off section) has no team to hold to: any signed-in person may work its items.
    people: (actor, action) =>
      releaseManager(actor) ||
      !action.teamRoles ||
      action.teamRoles.length === 0 ||
      action.teamRoles.some((role) => hasRole(actor, role)),
    // CI may tick what it verifies, and nothing a person must judge.
    machines: (actor, action) =>
      scope(SCOPES.itemsWrite)(actor) && (action.item === undefined || action.item.kind === 'automated'),
  },
  sign: { permission: (action) => `signoff:${action.role}`, people: (actor, action) => hasRole(actor, action.role) },
  acknowledge: {
    permission: () => 'release:acknowledge',
    people: (actor, action) => action.roles.some((role) => hasRole(actor, role)),
  },
  'withdraw-signoff': {
    permission: (action) => `signoff:${action.role}`,
    people: (actor, action) => hasRole(actor, action.role),
  },
};

function ruleOf<K extends Action['kind']>(action: ActionOf<K>): Rule<K> {
  return RULES[action.kind as K] as Rule<K>;
}

/** The permission an action needs, as a denial names it. */
export function permissionOf(action: Action): string {
  return ruleOf(action).permission(action);
}

/** True when the actor may perform the action. */
export function isAllowed(actor: Actor, action: Action): boolean {
  const rule = ruleOf(action);
  if (actor.kind === 'machine') return rule.machines?.(actor, action) ?? false;
  return rule.people === 'any' || rule.people(actor, action);
}

/** Throws Forbidden, naming the missing permission, unless the actor may perform the action. */
export function authorize(actor: Actor, action: Action): void {
  if (isAllowed(actor, action)) return;
  const permission = permissionOf(action);
  const why =
    actor.kind === 'machine'
      ? `machine client ${actor.id} has scopes ${actor.scopes.join(' ') || '(none)'}`
      : `${actor.name} holds ${actor.roles.length > 0 ? actor.roles.join(', ') : 'no role'}`;
  throw new Forbidden(permission, `missing permission ${permission}: ${why}`);
}

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
  /** Playing a CloudWatch alarm state change into the alarm handler (the local runtime's POST /local/alarms). */
  | { readonly kind: 'play-alarm' }
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
 * Who may perform an action: the roles of the people who may (`'*'`: every signed-in person) and the scopes of
 * the machine clients that may (none: no machine). A denial reports it, so the caller learns whom to ask.
 */
export interface Allowed {
  readonly roles: readonly string[] | '*';
  readonly scopes: readonly string[];
}

/** A rule: the permission name a denial reports, and who may. Both are read from the action's facts. */
interface Rule<K extends Action['kind']> {
  readonly permission: (action: ActionOf<K>) => string;
  readonly allowed: (action: ActionOf<K>) => Allowed;
}

const releaseManagers: Allowed = { roles: [RELEASE_MANAGER], scopes: [] };
const holdersOf = (roles: readonly string[]): Allowed => ({ roles, scopes: [] });

/** The permission table. The README's API section and the permission-matrix test follow it. */
export const RULES: { readonly [K in Action['kind']]: Rule<K> } = {
  read: { permission: () => 'release:read', allowed: () => ({ roles: '*', scopes: [SCOPES.read] }) },
  'create-release': { permission: () => 'release:create', allowed: () => releaseManagers },
  'cancel-release': { permission: () => 'release:cancel', allowed: () => releaseManagers },
  'advance-release': { permission: () => 'release:advance', allowed: () => releaseManagers },
  'rollback-release': { permission: () => 'release:rollback', allowed: () => releaseManagers },
  'manage-contacts': { permission: () => 'contacts:manage', allowed: () => releaseManagers },
  'manage-templates': { permission: () => 'templates:manage', allowed: () => releaseManagers },
  'push-metrics': { permission: () => 'metrics:write', allowed: () => ({ roles: [], scopes: [SCOPES.metricsWrite] }) },
  // The local runtime's POST /local/alarms: an alarm in ALARM rolls a release back, so it is a release manager's.
  'play-alarm': { permission: () => 'alarms:play', allowed: () => releaseManagers },
  'update-item': {
    permission: (action) => `item:update:${action.itemId}`,
    allowed: (action) => ({
      // Anyone on the release's team; a release manager always. A template that names no role (a checklist without
      // a sign-off section) has no team to hold to: any signed-in person may work its items.
      roles: !action.teamRoles || action.teamRoles.length === 0 ? '*' : [RELEASE_MANAGER, ...new Set(action.teamRoles)],
      // CI may tick what it verifies, and nothing a person must judge.
      scopes: action.item === undefined || action.item.kind === 'automated' ? [SCOPES.itemsWrite] : [],
    }),
  },
  sign: { permission: (action) => `signoff:${action.role}`, allowed: (action) => holdersOf([action.role]) },
  acknowledge: { permission: () => 'release:acknowledge', allowed: (action) => holdersOf(action.roles) },
  'withdraw-signoff': {
    permission: (action) => `signoff:${action.role}`,
    allowed: (action) => holdersOf([action.role]),
  },
};

function ruleOf<K extends Action['kind']>(action: ActionOf<K>): Rule<K> {
  return RULES[action.kind as K] as Rule<K>;
}

/** The permission an action needs, as a denial names it. */
export function permissionOf(action: Action): string {
  return ruleOf(action).permission(action);
}

/** Who may perform the action: the roles and scopes a denial names. */
export function allowedFor(action: Action): Allowed {
  return ruleOf(action).allowed(action);
}

/** True when the actor may perform the action. */
export function isAllowed(actor: Actor, action: Action): boolean {
  const { roles, scopes } = allowedFor(action);
  if (actor.kind === 'machine') return scopes.some((name) => actor.scopes.includes(name));
  return roles === '*' || roles.some((role) => hasRole(actor, role));
}

/** A denial: a Forbidden that also says who would be allowed (the `allowed` member of the problem). */
export class PermissionDenied extends Forbidden {
  override readonly extensions: Readonly<Record<string, unknown>>;
  readonly allowed: Allowed;

  constructor(permission: string, allowed: Allowed, message: string) {
    super(permission, message);
    this.allowed = allowed;
    this.extensions = { permission, allowed: { roles: allowed.roles, scopes: allowed.scopes } };
  }
}

/** The allowed callers in words: `roles release-manager or scopes shipgate/read`. */
function describeAllowed({ roles, scopes }: Allowed): string {
  const people = roles === '*' ? 'any signed-in person' : roles.length > 0 ? `roles ${roles.join(', ')}` : '';
  const machines = scopes.length > 0 ? `machine clients with scope ${scopes.join(' or ')}` : '';
  return [people, machines].filter((part) => part !== '').join('; ') || 'nobody';
}

/** Throws PermissionDenied, naming the missing permission and who may, unless the actor may perform the action. */
export function authorize(actor: Actor, action: Action): void {
  if (isAllowed(actor, action)) return;
  const permission = permissionOf(action);
  const allowed = allowedFor(action);
  const why =
    actor.kind === 'machine'
      ? `machine client ${actor.id} has scopes ${actor.scopes.join(' ') || '(none)'}`
      : `${actor.name} holds ${actor.roles.length > 0 ? actor.roles.join(', ') : 'no role'}`;
  throw new PermissionDenied(
    permission,
    allowed,
    `missing permission ${permission}: ${why}; allowed: ${describeAllowed(allowed)}`,
  );
}

// The one table of who may do what. Every handler asks here; nothing else decides access.
import type { Actor } from './actor.ts';
import { hasRole } from './actor.ts';
import { Forbidden } from './errors.ts';
import type { TemplateItem } from './template.ts';

export const RELEASE_MANAGER = 'release-manager';

export const SCOPES = {
  read: 'shipgate/read',
  itemsWrite: 'shipgate/items.write',
  metricsWrite: 'shipgate/metrics.write',
} as const;

/** What an actor wants to do, with the facts the decision needs. */
export type Action =
  | { readonly kind: 'read' }
  | { readonly kind: 'create-release' }
  | { readonly kind: 'update-item'; readonly item: TemplateItem; readonly teamRoles: readonly string[] }
  | { readonly kind: 'sign'; readonly role: string }
  | { readonly kind: 'withdraw-signoff'; readonly role: string };

/** The permission an action needs, as a denial names it. */
export function permissionOf(action: Action): string {
  switch (action.kind) {
    case 'read':
      return 'release:read';
    case 'create-release':
      return 'release:create';
    case 'update-item':
      return `item:update:${action.item.id}`;
    case 'sign':
    case 'withdraw-signoff':
      return `signoff:${action.role}`;
  }
}

/** True when the actor may perform the action. */
export function isAllowed(actor: Actor, action: Action): boolean {
  if (actor.kind === 'machine') {
    switch (action.kind) {
      case 'read':
        return actor.scopes.includes(SCOPES.read);
      case 'update-item':
        // CI may tick what it verifies, and nothing a person must judge.
        return actor.scopes.includes(SCOPES.itemsWrite) && action.item.kind === 'automated';
      default:
        return false;
    }
  }
  switch (action.kind) {
    case 'read':
      return true;
    case 'create-release':
      return hasRole(actor, RELEASE_MANAGER);
    case 'update-item':
      return hasRole(actor, RELEASE_MANAGER) || action.teamRoles.some((role) => hasRole(actor, role));
    case 'sign':
    case 'withdraw-signoff':
      return hasRole(actor, action.role);
  }
}

/** Throws Forbidden, naming the missing permission, unless the actor may perform the action. */
export function authorize(actor: Actor, action: Action): void {
  if (isAllowed(actor, action)) return;
  const permission = permissionOf(action);
  const why =
    actor.kind === 'machine'
      ? `machine client ${actor.id} lacks the scope or the item is not automated`
      : `${actor.name} holds ${actor.roles.length > 0 ? actor.roles.join(', ') : 'no role'}`;
  throw new Forbidden(permission, `missing permission ${permission}: ${why}`);
}

// Who is calling: a person with roles, or a machine client with scopes; built from verified token claims.

export interface Actor {
  readonly kind: 'user' | 'machine';
  /** Stable id: the token's `sub` (a user id, or the client id of a machine client). */
  readonly id: string;
  /** Display name for the audit trail. */
  readonly name: string;
  /** Role slugs (Cognito groups); empty for machines. */
  readonly roles: readonly string[];
  /** OAuth scopes granted to the token (`shipgate/items.write`, …). */
  readonly scopes: readonly string[];
}

/** What the audit trail keeps of an actor. */
export interface ActorRef {
  readonly id: string;
  readonly name: string;
  readonly kind: 'user' | 'machine';
}

export const actorRef = (actor: Actor): ActorRef => ({ id: actor.id, name: actor.name, kind: actor.kind });

export const hasRole = (actor: Actor, role: string): boolean => actor.roles.includes(role);

// Who is calling, read from the claims API Gateway's JWT authorizer verified (the local gateway fills the same place).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Actor } from '../core/auth/actor.ts';
import { Unauthenticated } from '../core/errors.ts';

type ClaimValue = string | number | boolean | readonly string[];

interface JwtAuthorizerContext {
  readonly jwt?: { readonly claims?: Record<string, ClaimValue>; readonly scopes?: readonly string[] | null };
}

/**
 * API Gateway hands array claims to the function flattened into one string, `[a b c]`; accept that and real
 * arrays alike.
 */
export function claimList(value: ClaimValue | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  const text = String(value).trim();
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return inner.split(/[\s,]+/).filter((part) => part.length > 0);
}

const claimString = (value: ClaimValue | undefined): string | undefined =>
  value === undefined || Array.isArray(value) ? undefined : String(value);

/** The calling actor; throws Unauthenticated when the request carries no verified identity. */
export function actorOf(event: APIGatewayProxyEventV2): Actor {
  const authorizer = (event.requestContext as { authorizer?: JwtAuthorizerContext }).authorizer;
  return actorFromClaims(authorizer?.jwt?.claims, authorizer?.jwt?.scopes);
}

/**
 * The actor of verified claims, as the JWT authorizer hands them on (the local gateway's own routes call this
 * with the claims it verified); throws Unauthenticated when there are none.
 */
export function actorFromClaims(
  claims: Readonly<Record<string, ClaimValue>> | undefined,
  authorizerScopes?: readonly string[] | null,
): Actor {
  const sub = claimString(claims?.sub);
  if (!claims || !sub) throw new Unauthenticated('sign in: this request carries no valid bearer token');
  const scopes = authorizerScopes?.length ? [...authorizerScopes] : claimList(claims.scope);
  const username = claimString(claims.username);
  const clientId = claimString(claims.client_id);
  // A client-credentials token names no user: its subject is the app client itself.
  const machine = !username && clientId !== undefined && clientId === sub;
  return {
    kind: machine ? 'machine' : 'user',
    id: sub,
    name: claimString(claims.name) ?? username ?? sub,
    roles: machine ? [] : claimList(claims['cognito:groups']),
    scopes,
  };
}

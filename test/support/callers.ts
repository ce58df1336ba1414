// The kinds of caller the permission tests try every route with, and the token each of them presents.
import type { LocalIssuer } from '../../local/issuer.ts';

/** Every kind of caller, in the column order of the permission matrices. */
export const CALLERS = [
  'anonymous',
  'release-manager',
  'engineering-manager',
  'engineering-lead',
  'security-lead',
  'qa-lead',
  'devops-lead',
  'product-manager',
  'intern', // a role no template knows
  'machine:read',
  'machine:items.write',
  'machine:metrics.write',
  'machine:none',
] as const;
export type Caller = (typeof CALLERS)[number];

/** The token of a caller (none for anonymous): a person holding the role, or a machine client with the scope. */
export async function callerToken(issuer: LocalIssuer, caller: Caller): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  if (caller.startsWith('machine:')) {
    const scope = caller.slice('machine:'.length);
    return issuer.sign({ user: 'ci', machine: true, scopes: scope === 'none' ? [] : [`shipgate/${scope}`] });
  }
  return issuer.sign({ user: `u-${caller}`, name: caller, roles: [caller] });
}

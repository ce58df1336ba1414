// What every page reads: the configuration, the API client and who is signed in.
import { createContext, useContext } from 'react';
import type { Api } from './api.ts';
import type { Auth, Person } from './auth.ts';
import type { RuntimeConfig } from './config.ts';

export interface Session {
  readonly config: RuntimeConfig;
  readonly auth: Auth;
  readonly api: Api;
  readonly person: Person;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Whether the signed-in person holds a role (the API decides; this only enables buttons and explains why not). */
export const holds = (person: Person, role: string): boolean => person.roles.includes(role);

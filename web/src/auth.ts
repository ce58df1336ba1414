// Sign-in: OpenID Connect authorization code with PKCE (oidc-client-ts) against the Cognito user pool's managed login
// in AWS, or the local runtime's dev sign-in page. Tokens are kept in sessionStorage: this origin's only, gone with
// the tab, never in a cookie or localStorage another page could read.
import { type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { RuntimeConfig } from './config.ts';

export const CALLBACK_PATH = '/auth/callback';

/** Who is signed in, as the console shows it. The API decides what they may do; this only explains it. */
export interface Person {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly accessToken: string;
  readonly expiresAt: number | undefined;
}

/** The claims of a JWT, read without verifying it (the API verifies; this only shows a name and roles). */
export function claimsOf(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  if (!payload) return {};
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const listClaim = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string')
    return value
      .replace(/^\[|\]$/g, '')
      .split(/[\s,]+/)
      .filter(Boolean);
  return [];
};

export function personOf(user: User): Person {
  const access = claimsOf(user.access_token);
  const profile = user.profile as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const id = str(access.username) ?? str(profile['cognito:username']) ?? str(access.sub) ?? user.profile.sub;
  return {
    id,
    name: str(access.name) ?? str(profile.name) ?? str(profile.email) ?? id,
    roles: listClaim(access['cognito:groups'] ?? profile['cognito:groups']),
    accessToken: user.access_token,
    expiresAt: user.expires_at,
  };
}

export class Auth {
  readonly manager: UserManager;
  readonly #config: RuntimeConfig;

  constructor(config: RuntimeConfig) {
    this.#config = config;
    const origin = window.location.origin;
    this.manager = new UserManager({
      authority: config.oidc.authority,
      client_id: config.oidc.clientId,
      redirect_uri: `${origin}${CALLBACK_PATH}`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: config.oidc.scope,
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: false,
      loadUserInfo: false,
    });
  }

  async current(): Promise<Person | undefined> {
    const user = await this.manager.getUser();
    if (!user || user.expired) return undefined;
    return personOf(user);
  }

  /** Sends the browser to sign in; it comes back to where it was. */
  async signIn(returnTo = window.location.pathname + window.location.search): Promise<void> {
    await this.manager.signinRedirect({ state: { returnTo } });
  }

  /** Completes the redirect back from the provider; answers where to go next. */
  async completeSignIn(): Promise<string> {
    const user = await this.manager.signinRedirectCallback();
    const state = user.state as { returnTo?: string } | undefined;
    const returnTo = state?.returnTo;
    // Only a path of this console: never an address another origin chose.
    return returnTo?.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
  }

  /** Renews the token with the refresh token when it is close to expiring; undefined when sign-in is needed. */
  async fresh(): Promise<Person | undefined> {
    const user = await this.manager.getUser();
    if (!user) return undefined;
    if (user.expires_at !== undefined && user.expires_at * 1000 - Date.now() < 60_000) {
      if (!user.refresh_token) return undefined;
      try {
        const renewed = await this.manager.signinSilent();
        return renewed ? personOf(renewed) : undefined;
      } catch {
        return undefined;
      }
    }
    return personOf(user);
  }

  async signOut(): Promise<void> {
    await this.manager.removeUser();
    const logout = this.#config.oidc.logoutUrl;
    if (logout) {
      const url = new URL(logout);
      url.searchParams.set('client_id', this.#config.oidc.clientId);
      url.searchParams.set('logout_uri', `${window.location.origin}/`);
      window.location.assign(url.toString());
      return;
    }
    window.location.assign('/');
  }
}

// The console's runtime configuration, read from /config.json next to index.html: the local runtime answers it, and
// in AWS the stack deploys it with the bucket. Nothing environment-specific is baked into the build.

export interface OidcConfig {
  /** The OpenID provider: the Cognito user pool (`https://cognito-idp.<region>.amazonaws.com/<pool id>`), or the local runtime's dev provider. */
  readonly authority: string;
  readonly clientId: string;
  readonly scope: string;
  /** Where the provider ends its session (Cognito's /logout on the pool's domain). */
  readonly logoutUrl?: string;
}

export interface RuntimeConfig {
  /** The API's base URL, without a trailing slash. */
  readonly apiUrl: string;
  readonly environment: 'local' | 'aws';
  readonly oidc: OidcConfig;
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch('/config.json', { headers: { accept: 'application/json' }, cache: 'no-cache' });
  if (!response.ok) throw new Error(`the console's configuration (/config.json) answered ${response.status}`);
  const config = (await response.json()) as RuntimeConfig;
  return { ...config, apiUrl: config.apiUrl.replace(/\/+$/, '') };
}

// Who may call the API: a Cognito user pool whose groups are Shipgate's roles, an app client for people and one for
// machines, the resource server that defines the machines' scopes, and the JWT authorizer the API puts on routes.
import { Aws, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  type UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { SCOPES } from '../lambdas/core/auth/permissions.ts';
import type { Template } from '../lambdas/core/template/template.ts';
import { builtInTemplates } from '../templates/index.ts';

/** The roles Shipgate's own rules and people name, whether or not a built-in template does, with their labels. */
const coreRoles: Readonly<Record<string, string>> = {
  'release-manager': 'Release Manager',
  'engineering-manager': 'Engineering Manager',
  'engineering-lead': 'Engineering Lead',
  'security-lead': 'Security Lead',
  'qa-lead': 'QA Lead',
  'devops-lead': 'DevOps Lead',
  'product-manager': 'Product Manager',
};

/** A Shipgate role as a user pool group: the group name is the role id that `cognito:groups` carries. */
export interface RoleGroup {
  /** The role id, e.g. `qa-lead`; the group's name. */
  readonly id: string;
  /** Who the role is and which built-in templates name it; the group's description. */
  readonly description: string;
}

/**
 * Every role a user may hold: Shipgate's core roles plus every role a template names, once each, sorted by id.
 * A role's label is its core label, else the first template's.
 */
export function roleGroups(templates: readonly Template[] = builtInTemplates): RoleGroup[] {
  const labels = new Map<string, string>(Object.entries(coreRoles));
  const namedBy = new Map<string, string[]>();
  for (const template of templates) {
    for (const role of template.roles) {
      if (!labels.has(role.id)) labels.set(role.id, role.label);
      namedBy.set(role.id, [...(namedBy.get(role.id) ?? []), template.id]);
    }
  }
  return [...labels.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, label]) => {
      const templateIds = namedBy.get(id) ?? [];
      const where = templateIds.length > 0 ? `named by templates ${templateIds.join(', ')}` : 'a core Shipgate role';
      return { id, description: `Shipgate role: ${label} (${where})` };
    });
}

/** The resource server whose scopes machine clients are granted; its identifier prefixes each scope. */
export const resourceServerIdentifier = 'shipgate';

// Keyed like SCOPES, so a scope added to the permission table fails compilation here until it is described.
const scopeDescriptions: Readonly<Record<keyof typeof SCOPES, string>> = {
  read: 'Read templates, releases and their audit trails',
  itemsWrite: 'Update automated checklist items (CI)',
  metricsWrite: 'Report release metrics (monitoring)',
};

/** The scope names the resource server defines (`items.write`, ...), from the permission table's full scopes. */
const resourceServerScopes = (): ResourceServerScope[] =>
  (Object.keys(SCOPES) as (keyof typeof SCOPES)[]).map((key) => {
    const prefix = `${resourceServerIdentifier}/`;
    const full = SCOPES[key];
    if (!full.startsWith(prefix)) throw new Error(`scope ${full} does not belong to resource server ${prefix}`);
    return new ResourceServerScope({ scopeName: full.slice(prefix.length), scopeDescription: scopeDescriptions[key] });
  });

// Cognito's rules for a prefix domain: lowercase letters, digits and inner hyphens, at most 63 characters, and none
// of the words Cognito reserves.
const domainPrefixPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const reservedWord = /aws|amazon|cognito/;
// `-<12-digit account>-<region>`, with room for the longest region code (15 characters).
const accountAndRegionLength = 1 + 12 + 1 + 15;

/**
 * A default domain prefix unique per stack, account and region, and stable across redeployments:
 * `<stack name>-<account>-<region>`, the stack name lowercased, stripped of reserved words and shortened to fit.
 * The account and region are CloudFormation pseudo parameters that `Fn::Join` resolves at deploy time, before
 * Cognito sees the value.
 */
const defaultDomainPrefix = (stack: Stack): string => {
  let name = stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '');
  // Removing a reserved word can join two halves into another one, so repeat until none is left.
  while (reservedWord.test(name)) name = name.replace(reservedWord, '');
  name = name.slice(0, 63 - accountAndRegionLength).replace(/^-+|-+$/g, '');
  return Fn.join('-', [name.length > 0 ? name : 'shipgate', Aws.ACCOUNT_ID, Aws.REGION]);
};

/** Fails synthesis on a prefix Cognito would refuse at deploy time. */
const assertDomainPrefix = (prefix: string): void => {
  if (Token.isUnresolved(prefix)) return;
  if (!domainPrefixPattern.test(prefix) || reservedWord.test(prefix)) {
    throw new Error(
      `domainPrefix ${JSON.stringify(prefix)} is not a Cognito domain prefix: lowercase letters, digits and inner ` +
        'hyphens, at most 63 characters, without "aws", "amazon" or "cognito"',
    );
  }
};

/** The redirects of `shipgate login`'s browser sign-in, one per loopback port. */
export const cliCallbackUrls = (ports: readonly number[]): string[] =>
  ports.map((port) => {
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw new Error(`cliCallbackPorts: ${port} is not a port from 1024 to 65535 that a user's CLI can listen on`);
    }
    return `http://localhost:${port}/callback`;
  });

/** Properties of {@link ShipgateAuth}. */
export interface ShipgateAuthProps {
  /**
   * Where Cognito may send users back after sign-in (the web client's callback).
   * @default ['http://localhost:3000/auth/callback']
   */
  readonly callbackUrls?: readonly string[];
  /**
   * The loopback ports on which `shipgate login` takes the browser sign-in's redirect (authorization code with PKCE,
   * RFC 8252): each registers `http://localhost:<port>/callback` on the web client. Cognito matches a redirect
   * exactly, port included, and accepts plain http for localhost only. An empty list turns CLI browser sign-in off.
   * @default [8976]
   */
  readonly cliCallbackPorts?: readonly number[];
  /**
   * Where Cognito may send users after sign-out.
   * @default ['http://localhost:3000/']
   */
  readonly logoutUrls?: readonly string[];
  /**
   * Prefix of the Cognito-hosted domain (`<prefix>.auth.<region>.amazoncognito.com`) that serves managed login and
   * the token endpoint machine clients call. Prefixes are shared by every account in a region, hence a default
   * derived from the stack name, account and region.
   * @default `<stack name>-<account id>-<region>`, lowercased, e.g. `shipgate-123456789012-eu-west-1`
   */
  readonly domainPrefix?: string;
  /**
   * How long an access token is valid, for people and machines alike: it bounds how long a revoked role or a
   * disabled machine client keeps working.
   * @default Duration.minutes(15)
   */
  readonly accessTokenValidity?: Duration;
  /**
   * Multi-factor authentication, by TOTP authenticator app only (never SMS). Sign-off roles must use MFA, but
   * Cognito can only require MFA for a whole pool, not per group; so `'required'` requires it of every user, which
   * covers every sign-off role. `'optional'` lets each user choose, and then a sign-off no longer proves a second
   * factor.
   * @default 'required'
   */
  readonly mfa?: 'required' | 'optional';
  /**
   * Cognito threat protection in full-function mode (compromised-credential and risky sign-in detection), which
   * needs the Plus feature plan. `false` uses the Essentials plan, priced lower per monthly active user.
   * @default true
   */
  readonly threatProtection?: boolean;
}

/**
 * Users, roles and tokens. Accounts are created by an administrator (no self sign-up) and sign in with a TOTP second
 * factor; the pool's groups are Shipgate's roles. People use a public client (authorization code grant, which
 * clients complete with PKCE); machines (CI, monitoring) use a confidential client with the client-credentials grant
 * and the `shipgate/*` scopes.
 */
export class ShipgateAuth extends Construct {
  readonly userPool: UserPool;
  /** The people's app client (code grant with PKCE, no secret). */
  readonly client: UserPoolClient;
  /** The machines' app client (client credentials, with a secret, scoped to the resource server's scopes). */
  readonly machineClient: UserPoolClient;
  /** The `shipgate` resource server, which defines the machine scopes. */
  readonly resourceServer: UserPoolResourceServer;
  /** The Cognito-hosted domain: managed login for people, the token endpoint for machines. */
  readonly domain: UserPoolDomain;
  /** The OAuth 2.0 token endpoint machine clients request tokens from. */
  readonly tokenEndpoint: string;
  /** The user pool groups by role id. */
  readonly groups: ReadonlyMap<string, CfnUserPoolGroup>;
  /** The authorizer for authenticated routes: a token from this pool, issued to one of its two clients. */
  readonly authorizer: IHttpRouteAuthorizer;

  constructor(scope: Construct, id: string, props: ShipgateAuthProps = {}) {
    super(scope, id);
    const mfa = props.mfa ?? 'required';
    const threatProtection = props.threatProtection ?? true;
    const accessTokenValidity = props.accessTokenValidity ?? Duration.minutes(15);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      // An authenticator app only: SMS codes can be intercepted (SIM swap) and would need an SNS role and spend.
      mfaSecondFactor: { otp: true, sms: false, email: false },
      featurePlan: threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: threatProtection ? StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Users, their roles and their sign-off history outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    const poolResource = this.userPool.node.defaultChild;
    if (poolResource !== undefined && mfa === 'optional') {
      Validations.of(poolResource).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA was made optional by the `mfa: optional` prop of this deployment; the default requires it.',
      });
    }
    if (poolResource !== undefined && !threatProtection) {
      Validations.of(poolResource).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'Threat protection (Plus plan) was turned off by the `threatProtection: false` prop of this deployment.',
      });
    }

    const groups = new Map<string, CfnUserPoolGroup>();
    for (const role of roleGroups()) {
      const group = new CfnUserPoolGroup(this, `Group-${role.id}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role.id,
        description: role.description,
      });
      // A group's members are the role's holders: deleting the stack must not strip roles from a retained pool.
      group.applyRemovalPolicy(RemovalPolicy.RETAIN);
      groups.set(role.id, group);
    }
    this.groups = groups;

    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: resourceServerIdentifier,
      userPoolResourceServerName: 'Shipgate API',
      scopes: resourceServerScopes(),
    });
    const scopeOf = (full: string): OAuthScope => OAuthScope.custom(full);

    this.client = this.userPool.addClient('WebClient', {
      generateSecret: false,
      // Sign-in happens in managed login through the code grant; the client itself only refreshes tokens.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE, scopeOf(SCOPES.read)],
        callbackUrls: [
          ...(props.callbackUrls ?? ['http://localhost:3000/auth/callback']),
          ...cliCallbackUrls(props.cliCallbackPorts ?? [8976]),
        ],
        logoutUrls: [...(props.logoutUrls ?? ['http://localhost:3000/'])],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity,
      idTokenValidity: accessTokenValidity,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    this.machineClient = this.userPool.addClient('MachineClient', {
      // A confidential client: the client-credentials grant authenticates the machine by this secret.
      generateSecret: true,
      // No user sign-in of any kind; tokens come only from the token endpoint.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { clientCredentials: true },
        scopes: Object.values(SCOPES).map(scopeOf),
      },
      accessTokenValidity,
      preventUserExistenceErrors: true,
    });
    // The scopes must exist before a client may be granted them.
    this.client.node.addDependency(this.resourceServer);
    this.machineClient.node.addDependency(this.resourceServer);

    const domainPrefix = props.domainPrefix ?? defaultDomainPrefix(Stack.of(this));
    assertDomainPrefix(domainPrefix);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    this.tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;

    // Cognito access tokens carry the client id in `client_id`, not `aud`; API Gateway checks `client_id` against
    // the audience when `aud` is absent, so the audience is both clients' ids. Which scopes and roles a caller needs
    // is decided per action by the handlers (lambdas/core/auth/permissions.ts), not here.
    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', this.userPool.userPoolProviderUrl, {
      jwtAudience: [this.client.userPoolClientId, this.machineClient.userPoolClientId],
    });
  }
}

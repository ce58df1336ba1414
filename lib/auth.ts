// Who may call the API: a Cognito user pool, its app client, and the JWT authorizer the API attaches to routes.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  AccountRecovery,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Properties of {@link ShipgateAuth}. */
export interface ShipgateAuthProps {
  /**
   * Where Cognito may send users back after sign-in (the web client's callback).
   * @default ['http://localhost:3000/auth/callback']
   */
  readonly callbackUrls?: readonly string[];
  /**
   * Where Cognito may send users after sign-out.
   * @default ['http://localhost:3000/']
   */
  readonly logoutUrls?: readonly string[];
  /**
   * Prefix of a Cognito-hosted domain for managed login (`<prefix>.auth.<region>.amazoncognito.com`). Domain
   * prefixes are global across AWS accounts, so none is chosen for you.
   * @default - no domain; add one before users sign in through managed login
   */
  readonly domainPrefix?: string;
  /**
   * How long an access token is valid, which bounds how long a revoked role keeps working.
   * @default Duration.minutes(15)
   */
  readonly accessTokenValidity?: Duration;
}

/**
 * Users and tokens. Accounts are created by an administrator (no self sign-up); the single app client is public
 * (no secret) and uses the authorization code grant, which clients complete with PKCE.
 */
export class ShipgateAuth extends Construct {
  readonly userPool: UserPool;
  /** The app client whose id is the audience the API accepts. */
  readonly client: UserPoolClient;
  /** The Cognito-hosted domain, when `domainPrefix` was given. */
  readonly domain: UserPoolDomain | undefined;
  /** The authorizer for authenticated routes: a token from this pool, issued to this client. */
  readonly authorizer: IHttpRouteAuthorizer;

  constructor(scope: Construct, id: string, props: ShipgateAuthProps = {}) {
    super(scope, id);
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
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Users, their roles and their sign-off history outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    this.client = this.userPool.addClient('WebClient', {
      generateSecret: false,
      // Sign-in happens in managed login through the code grant; the client itself only refreshes tokens.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...(props.callbackUrls ?? ['http://localhost:3000/auth/callback'])],
        logoutUrls: [...(props.logoutUrls ?? ['http://localhost:3000/'])],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity: props.accessTokenValidity ?? Duration.minutes(15),
      idTokenValidity: props.accessTokenValidity ?? Duration.minutes(15),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    this.domain =
      props.domainPrefix === undefined
        ? undefined
        : this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    // Cognito access tokens carry the client id in `client_id`, not `aud`; API Gateway checks `client_id` against
    // the audience when `aud` is absent, so the client id is the audience.
    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', this.userPool.userPoolProviderUrl, {
      jwtAudience: [this.client.userPoolClientId],
    });
  }
}

// The HTTP API: one function and one route per entry of the shared route table, behind a throttled, logged stage.
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CorsPreflightOptions,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { routes as allRoutes, type RouteDef } from '../lambdas/functions/catalog.ts';
import { type PowertoolsLogLevel, ShipgateFunction, type WorkflowBinding } from './function.ts';

/** Properties of {@link ShipgateApi}. */
export interface ShipgateApiProps {
  /** Finds the deployed table for a schema a route lists (usually `ShipgateStorage.table`). */
  readonly table: (schema: TableSchema) => ITable;
  /** The authorizer of every route with `authenticated: true` (usually `ShipgateAuth.authorizer`). */
  readonly authorizer: IHttpRouteAuthorizer;
  /**
   * The release and escalation state machines, bound to every route that sets `workflow` (usually the
   * `ShipgateWorkflow`). Required as soon as one route sets `workflow`.
   * @default - no workflow
   */
  readonly workflow?: WorkflowBinding;
  /**
   * The release-events topic, bound to every route that sets `notifier` (usually `ShipgateNotifications.eventsTopic`).
   * Required as soon as one route sets `notifier`.
   * @default - no topic
   */
  readonly eventsTopic?: ITopic;
  /**
   * The routes to serve.
   * @default the shared route table (`routes` of `lambdas/functions/catalog.ts`)
   */
  readonly routes?: readonly RouteDef[];
  /**
   * Steady-state requests per second the stage accepts across all routes.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the stage accepts in a burst above the rate limit.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the functions' and the access log's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of every function.
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;
  /**
   * CORS preflight settings, for a browser client served from another origin.
   * @default - CORS disabled
   */
  readonly cors?: CorsPreflightOptions;
}

// One JSON object per request, so Logs Insights can query fields. No personal data and no credentials: no client IP
// or user agent, no headers (the bearer token travels in one). `sub` is the opaque id of the caller (a user or a
// machine client) that ties a request to the audit trail; only the user pool maps it to a person.
const accessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    sub: '$context.authorizer.claims.sub',
  }),
);

/**
 * The routes that may be served without a token, each with the reason cdk-nag's AwsSolutions-APIG4 is acknowledged.
 * A route the route table marks `authenticated: false` but that is missing here fails `cdk synth`.
 */
const publicRoutes: ReadonlyMap<string, string> = new Map([
  [
    'GET /health',
    'GET /health is the liveness probe of load balancers and uptime monitors, which hold no token; it does no I/O ' +
      'and returns only {status, service}.',
  ],
  [
    'GET /health/ready',
    'GET /health/ready is the readiness probe of load balancers and uptime monitors, which hold no token; it reads ' +
      'one key that no release can have and returns only {status, service, database}.',
  ],
  [
    'GET /openapi.json',
    "GET /openapi.json is the API's public contract (the same document as docs/openapi.json in the repository): " +
      'integrators and code generators read it before they hold a token; it does no I/O and holds no data.',
  ],
]);

/**
 * An HTTP API with a Lambda proxy integration (payload format 2.0) per route, on the throttled `$default` stage.
 * HTTP APIs are served over HTTPS only (API Gateway has no plain-HTTP listener), so TLS needs no setting here.
 */
export class ShipgateApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The functions by route id. */
  readonly functions: ReadonlyMap<string, ShipgateFunction>;
  /** The API's base URL (the `$default` stage), ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ShipgateApiProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.httpApi = new HttpApi(this, 'HttpApi', {
      // Named after the stack so two Shipgate stacks in one account are told apart in the console.
      apiName: Stack.of(this).stackName,
      description: 'Shipgate release orchestration API',
      // The default stage is created below so that it can carry throttling and access logging.
      createDefaultStage: false,
      corsPreflight: props.cors,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit ?? 50, burstLimit: props.throttlingBurstLimit ?? 100 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat },
    });
    this.url = this.stage.url;

    const functions = new Map<string, ShipgateFunction>();
    const open = new HttpNoneAuthorizer();
    for (const route of props.routes ?? allRoutes) {
      const fn = new ShipgateFunction(this, route.id, {
        entry: route.entry,
        description: `Shipgate ${route.method} ${route.path}`,
        logRetention,
        logLevel: props.logLevel,
      });
      fn.bindNeeds(
        route,
        { table: props.table, workflow: props.workflow, eventsTopic: props.eventsTopic },
        'ShipgateApi',
      );
      const added = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}-integration`, fn, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        }),
        authorizer: route.authenticated ? props.authorizer : open,
      });
      const publicReason = route.authenticated ? undefined : publicRoutes.get(`${route.method} ${route.path}`);
      if (publicReason !== undefined) {
        for (const httpRoute of added) {
          Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: publicReason });
        }
      }
      functions.set(route.id, fn);
    }
    this.functions = functions;
  }
}

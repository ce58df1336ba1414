// The routes only the local runtime serves (the outbox, playing alarms). They stand where a function would stand in
// AWS, so they answer as functions do: the caller's actor is checked against the one permission table, input is
// validated with zod, and every refusal is RFC 9457 problem+json.

import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import type { Actor } from '../lambdas/core/auth/actor.ts';
import type { Action } from '../lambdas/core/auth/permissions.ts';
import { authorize } from '../lambdas/core/auth/permissions.ts';
import { ValidationFailed } from '../lambdas/core/errors.ts';
import { fieldIssues } from '../lambdas/http/api.ts';
import { domainProblem } from '../lambdas/http/problem.ts';

export interface LocalRouteInput {
  readonly actor: Actor;
  readonly query: Record<string, string>;
  readonly body: unknown;
}

export interface LocalRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** What calling the route does, as the permission table knows it; checked before the route runs. */
  readonly action: Action;
  /** Answers with a JSON value; throws a domain error (ValidationFailed, …) for a 4xx. */
  readonly handle: (input: LocalRouteInput) => Promise<unknown>;
}

/** Parses a local route's input with its schema, naming each failing field as the functions do. */
export function parseLocal<T>(schema: z.ZodType<T>, value: unknown, root: 'query' | 'body'): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationFailed(fieldIssues(result.error, root, schema));
  return result.data;
}

/** The query string as one value per name, repeated names joined by commas (as API Gateway passes them). */
function queryOf(search: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  for (const key of new Set(search.keys())) params[key] = search.getAll(key).join(',');
  return params;
}

/**
 * Runs a local route for a verified actor: permission, JSON body, the route itself. Domain errors become their
 * problem documents; anything else is rethrown, a crash.
 */
export async function runLocalRoute(
  route: LocalRoute,
  actor: Actor,
  url: URL,
  raw: Buffer,
): Promise<APIGatewayProxyResultV2> {
  try {
    authorize(actor, route.action);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      throw ValidationFailed.field('body', 'is not valid JSON');
    }
    const value = await route.handle({ actor, query: queryOf(url.searchParams), body });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(value),
    };
  } catch (error) {
    const problem = domainProblem(error, url.pathname);
    if (problem) return problem;
    throw error;
  }
}

/** A release id as the API's paths accept it. */
const releaseId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, - and _');

/** `GET /notifications`: the outbox, newest first. */
export const OutboxQuery = z.strictObject({
  releaseId: releaseId.optional(),
  limit: z.coerce
    .number({ message: 'must be a number from 1 to 1000' })
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(1000, 'must be at most 1000')
    .default(100),
});

/** `GET /local/alarms`: the local CloudWatch's alarms. */
export const AlarmsQuery = z.strictObject({ releaseId: releaseId.optional() });

/** `POST /local/alarms`: an alarm state change, as CloudWatch would publish it. */
export const PlayAlarmBody = z.strictObject({
  alarmName: z.string({ message: 'is required: the name of the alarm that changed state' }).min(1).max(255),
  state: z
    .enum(['ALARM', 'OK', 'INSUFFICIENT_DATA'], { message: 'must be ALARM, OK or INSUFFICIENT_DATA' })
    .default('ALARM'),
  reason: z.string().max(1023).optional(),
  releaseId: releaseId.optional(),
});

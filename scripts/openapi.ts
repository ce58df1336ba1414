// `npm run openapi`: writes docs/openapi.json, the API's OpenAPI 3.1 document, from what the code itself says: the
// route table (lambdas/functions/catalog.ts), the zod schemas each route validates its input with (read from the
// built handler, so no schema is copied), the TypeScript types of the answers (lambdas/http/answers.ts, turned into
// JSON Schema by typescript-json-schema) and the problem types the API answers with. `--check` fails when the file
// is stale. Served by GET /openapi.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import * as TJS from 'typescript-json-schema';
import { z } from 'zod';
import { SCOPES } from '../lambdas/core/auth/permissions.ts';
import { ROUTES, type RouteDef } from '../lambdas/functions/catalog.ts';
import { compose } from '../lambdas/functions/compose.ts';
import { ENV, readConfig } from '../lambdas/functions/environment.ts';
import { ANSWERS } from '../lambdas/http/answers.ts';
import { MAX_BODY_BYTES, type RouteSchemas } from '../lambdas/http/api.ts';
import { PROBLEM_TYPES } from '../lambdas/http/problem-types.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
/** The typed client's types, generated from the document by openapi-typescript. */
export const CLIENT_TYPES_FILE = join(ROOT, 'client', 'schema.d.ts');

type Json = Record<string, unknown>;
type RouteId = keyof typeof ROUTES;

/** What a handler module's built handler says it takes (lambdas/http/api.ts attaches it). */
type Contract = Omit<RouteSchemas<unknown, unknown, unknown>, 'requests'>;

/** Every variable a function could read, with placeholder values: building a handler reads them, calls nothing. */
const PLACEHOLDER_ENV = {
  [ENV.releasesTable]: 'shipgate-openapi',
  [ENV.stateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:release',
  [ENV.escalationStateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:escalation',
  [ENV.eventsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:events',
  [ENV.alarmsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:alarms',
  [ENV.alarmPrefix]: 'Shipgate.rollback',
};

async function contractOf(def: RouteDef): Promise<Contract> {
  // A handler module reads its configuration when it loads, as a cold start does.
  for (const [name, value] of Object.entries(PLACEHOLDER_ENV)) process.env[name] ??= value;
  const module = (await import(pathToFileURL(join(ROOT, def.entry)).href)) as {
    fn: { build(services: unknown): { contract?: Contract } };
  };
  const built = module.fn.build(def.tables.length === 0 ? {} : compose(def, readConfig(def, PLACEHOLDER_ENV)));
  if (!built.contract) throw new Error(`${def.entry} does not build an httpRoute`);
  return built.contract;
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as a client sends it. */
const inputSchema = (schema: z.ZodType): Json => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

/** The answers' types as JSON Schemas, their definitions under components.schemas. */
function answerSchemas(): Record<string, Json> {
  const names = [
    ...new Set(Object.values(ANSWERS).flatMap((answer) => (typeof answer.body === 'string' ? [answer.body] : []))),
  ];
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: Json };
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  const program = ts.createProgram([join(ROOT, 'lambdas/http/answers.ts')], options);
  const generator = TJS.buildGenerator(program, {
    required: true,
    strictNullChecks: true,
    ref: true,
    topRef: true,
    noExtraProps: false,
    ignoreErrors: true,
  });
  if (!generator) throw new Error('typescript-json-schema could not read lambdas/http/answers.ts');
  const schema = generator.getSchemaForSymbols(names) as { definitions?: Record<string, Json> };
  return namedDefinitions(schema.definitions ?? {});
}

/**
 * Types without a name of their own (inline object types, zod-inferred types) come out as definitions named by
 * their text; they are inlined where used, so every component has a readable name. The refs move to
 * #/components/schemas.
 */
function namedDefinitions(definitions: Record<string, Json>): Record<string, Json> {
  const readable = (name: string) => /^[A-Za-z][A-Za-z0-9_.]*$/.test(name);
  const resolve = (value: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(value)) return value.map((entry) => resolve(entry, seen));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Json;
    const ref = typeof object.$ref === 'string' ? object.$ref : undefined;
    if (ref?.startsWith('#/definitions/')) {
      const name = decodeURIComponent(ref.slice('#/definitions/'.length));
      if (readable(name)) return { ...object, $ref: `#/components/schemas/${name}` };
      const target = definitions[ref.slice('#/definitions/'.length)] ?? definitions[name];
      if (!target || seen.includes(name)) return {};
      const { $ref: _, ...rest } = object;
      return { ...rest, ...(resolve(target, [...seen, name]) as Json) };
    }
    return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner, seen)]));
  };
  const out: Record<string, Json> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    if (readable(name)) out[name] = resolve(definition, [name]) as Json;
  }
  return out;
}

/** `{releaseId}` path parameters, typed by the route's params schema. */
function parameters(def: RouteDef, contract: Contract): Json[] {
  const out: Json[] = [];
  const params = contract.params ? inputSchema(contract.params) : { properties: {} };
  for (const [name, schema] of Object.entries((params.properties ?? {}) as Record<string, Json>)) {
    out.push({ name, in: 'path', required: true, schema });
  }
  const declared = [...def.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  for (const name of declared) {
    if (!out.some((parameter) => parameter.name === name)) {
      out.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
  }
  if (contract.query) {
    const query = inputSchema(contract.query);
    const required = new Set((query.required ?? []) as string[]);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, Json>)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  if (def.method !== 'GET') out.push({ $ref: '#/components/parameters/IdempotencyKey' });
  return out;
}

function requestBody(contract: Contract): Json | undefined {
  if (contract.raw) {
    return {
      required: true,
      description: `A Markdown checklist, or a template document as JSON; at most ${contract.raw.maxBytes} bytes.`,
      content: {
        'text/markdown': { schema: { type: 'string', maxLength: contract.raw.maxBytes } },
        'application/json': { schema: { type: 'object' } },
      },
    };
  }
  if (!contract.body) return undefined;
  return {
    required: true,
    description: `JSON, at most ${MAX_BODY_BYTES} bytes.`,
    content: { 'application/json': { schema: inputSchema(contract.body) } },
  };
}

/** The problems a route can answer with, by status: those its shape makes possible. */
function problemStatuses(def: RouteDef, contract: Contract): number[] {
  const statuses = new Set<number>([500, 503]);
  if (contract.body || contract.query || contract.params || contract.raw || def.method !== 'GET') statuses.add(400);
  if (def.authenticated) {
    statuses.add(401);
    statuses.add(403);
  }
  if (def.path.includes('{')) statuses.add(404);
  if (def.method !== 'GET') {
    statuses.add(409);
    statuses.add(422);
  }
  if (contract.body || contract.raw) {
    statuses.add(413);
    statuses.add(415);
  }
  return [...statuses].sort((a, b) => a - b);
}

function responses(id: RouteId, def: RouteDef, contract: Contract): Json {
  const answer: (typeof ANSWERS)[RouteId] = ANSWERS[id];
  const content =
    typeof answer.body === 'string'
      ? { 'application/json': { schema: { $ref: `#/components/schemas/${answer.body}` } } }
      : { 'text/markdown': { schema: { type: 'string' } } };
  const out: Json = {
    [answer.status]: {
      description: answer.status === 201 ? 'Created' : 'OK',
      ...(answer.status === 201 ? { headers: { Location: { schema: { type: 'string' } } } } : {}),
      content,
    },
  };
  if ('also' in answer && answer.also) out[answer.also.status] = { description: answer.also.when, content };
  for (const status of problemStatuses(def, contract))
    out[status] = { $ref: `#/components/responses/Problem${status}` };
  return out;
}

const TAGS: Readonly<Record<string, string>> = {
  health: 'service',
  ready: 'service',
  openapi: 'service',
};
const tagOf = (id: string, def: RouteDef): string =>
  TAGS[id] ??
  (def.path.startsWith('/templates') ? 'templates' : def.path.startsWith('/contacts') ? 'contacts' : 'releases');

/** The problem responses, one per status, each with an example of every problem type answered with it. */
function problemResponses(): Json {
  const out: Json = {};
  const statuses = [...new Set(Object.values(PROBLEM_TYPES).map((problem) => problem.status))].sort((a, b) => a - b);
  for (const status of statuses) {
    const types = Object.entries(PROBLEM_TYPES).filter(([, problem]) => problem.status === status);
    out[`Problem${status}`] = {
      description: types.map(([type, problem]) => `\`${type}\`: ${problem.meaning}`).join('; '),
      ...(status === 503 || types.some(([, problem]) => problem.retryAfter)
        ? {
            headers: {
              'Retry-After': { description: 'Seconds to wait before sending again', schema: { type: 'integer' } },
            },
          }
        : {}),
      content: {
        'application/problem+json': {
          schema: { $ref: '#/components/schemas/Problem' },
          examples: Object.fromEntries(
            types.map(([type, problem]) => [
              type.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'blank',
              { summary: problem.meaning, value: { type, title: problem.title, status, ...problem.example } },
            ]),
          ),
        },
      },
    };
  }
  return out;
}

/** The whole document. */
export async function buildOpenApi(): Promise<Json> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const paths: Record<string, Json> = {};
  for (const [id, def] of Object.entries(ROUTES) as [RouteId, RouteDef][]) {
    const contract = await contractOf(def);
    const body = requestBody(contract);
    const operation: Json = {
      operationId: id,
      tags: [tagOf(id, def)],
      summary: `${def.method} ${def.path}`,
      parameters: parameters(def, contract),
      ...(body ? { requestBody: body } : {}),
      responses: responses(id, def, contract),
      security: def.authenticated ? [{ cognito: [] }, { machine: Object.values(SCOPES) }] : [],
    };
    paths[def.path] = { ...paths[def.path], [def.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shipgate',
      version,
      summary:
        'Release checklists as running, auditable processes: phases with gates, sign-offs, monitoring, rollback.',
      description:
        'Every error is an RFC 9457 problem (application/problem+json) whose `type` is one of the problem types ' +
        'below; a field problem names the field in `errors[].field`. Every POST, PATCH and DELETE takes an ' +
        '`Idempotency-Key` (docs/idempotency.md).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: 'http://localhost:3000', description: 'the local runtime (npm start)' },
      {
        url: '{apiUrl}',
        description: 'a deployed stack: its ApiUrl output',
        variables: { apiUrl: { default: 'https://example.execute-api.us-east-1.amazonaws.com' } },
      },
    ],
    tags: [
      { name: 'releases', description: 'releases, their checklists, gates, sign-offs, monitoring and rollback' },
      { name: 'templates', description: 'built-in and imported checklists' },
      { name: 'contacts', description: 'who is notified, by role, level and event' },
      { name: 'service', description: 'probes and this document' },
    ],
    paths,
    components: {
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A person's token from the stack's Cognito user pool (its groups are the person's roles); locally, " +
            'one from `npm run token`.',
        },
        machine: {
          type: 'oauth2',
          description: "A machine client's token from the client-credentials grant; its scopes say what it may do.",
          flows: {
            clientCredentials: {
              tokenUrl: 'https://your-domain.auth.us-east-1.amazoncognito.com/oauth2/token',
              scopes: {
                [SCOPES.read]: 'read templates, releases, events and reports',
                [SCOPES.itemsWrite]: 'tick automated checklist items with their evidence',
                [SCOPES.metricsWrite]: 'push metric samples',
              },
            },
          },
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: the same key with the same request gets the first answer (marked ' +
            '`idempotency-replayed: true`); with another request, a 422. Kept 24 hours, per caller.',
          schema: {
            type: 'string',
            minLength: 1,
            maxLength: 255,
            pattern: '^[\\x21-\\x7E](?:[\\x20-\\x7E]{0,253}[\\x21-\\x7E])?$',
          },
        },
      },
      responses: problemResponses(),
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details; extension members depend on the type.',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', enum: Object.keys(PROBLEM_TYPES) },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
            requestId: { type: 'string' },
          },
        },
        ...answerSchemas(),
      },
    },
  };
}

export const serialize = (document: Json): string => `${JSON.stringify(document, null, 2)}\n`;

/** The client's types (paths, operations, components) for openapi-fetch, from the document. */
export async function clientTypes(document: Json): Promise<string> {
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], { alphabetize: false });
  return `// Generated by \`npm run openapi\` from docs/openapi.json with openapi-typescript: do not edit.\n${astToString(ast)}`;
}

if (import.meta.main) {
  const document = await buildOpenApi();
  const files: [string, string][] = [
    [OPENAPI_FILE, serialize(document)],
    [CLIENT_TYPES_FILE, await clientTypes(document)],
  ];
  if (process.argv.includes('--check')) {
    const stale = files.filter(([file, text]) => readFileSync(file, 'utf8') !== text);
    for (const [file] of stale) console.error(`${file.slice(ROOT.length + 1)} is stale: run \`npm run openapi\``);
    if (stale.length > 0) process.exit(1);
    console.log('docs/openapi.json and client/schema.d.ts are up to date');
  } else {
    for (const [file, text] of files) writeFileSync(file, text);
    console.log(`wrote docs/openapi.json (${Object.keys(document.paths as Json).length} paths) and client/schema.d.ts`);
  }
}

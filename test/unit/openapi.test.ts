// The OpenAPI document: generated from the code (routes, zod schemas, answer types, problem types), kept fresh in
// docs/openapi.json with the client's types, valid OpenAPI 3.1, and exactly the routes of the route table.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { routes } from '../../lambdas/functions/catalog.ts';
import { PROBLEM_TYPES } from '../../lambdas/http/problem-types.ts';
import { buildOpenApi, CLIENT_TYPES_FILE, clientTypes, OPENAPI_FILE, serialize } from '../../scripts/openapi.ts';

const ROOT = resolve(import.meta.dirname, '../..');

type Json = Record<string, unknown>;
type Operation = {
  operationId: string;
  parameters: Json[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, Json>;
  security: Json[];
};

/** Every TypeScript source under a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the OpenAPI document', () => {
  let document: Json;
  let paths: Record<string, Record<string, Operation>>;

  before(async () => {
    document = await buildOpenApi();
    paths = document.paths as typeof paths;
  });

  it('is what docs/openapi.json and client/schema.d.ts hold (run `npm run openapi` when this fails)', async () => {
    assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), serialize(document), 'docs/openapi.json is stale');
    assert.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), await clientTypes(document), 'client/schema.d.ts is stale');
  });

  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(structuredClone(document));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(document.openapi, '3.1.0');
  });

  it('documents every route of the route table, and nothing else', () => {
    const documented = Object.entries(paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, routes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('takes each write body from the schema that validates it, and an Idempotency-Key on every write', () => {
    const create = paths['/releases']?.post;
    const body = create?.requestBody?.content['application/json']?.schema as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, Json>;
    };
    assert.deepEqual(body.required.sort(), ['name', 'templateId', 'version']);
    assert.equal(body.additionalProperties, false, 'strict: unknown fields are errors');
    assert.equal(body.properties.templateId?.pattern, '^[a-z0-9]+(?:-[a-z0-9]+)*$');
    const importBody = paths['/templates']?.post?.requestBody?.content;
    assert.ok(importBody?.['text/markdown'], 'a checklist is imported as Markdown');
    for (const route of routes) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      assert.ok(operation);
      const keyed = operation.parameters.some(
        (parameter) => parameter.$ref === '#/components/parameters/IdempotencyKey',
      );
      assert.equal(keyed, route.method !== 'GET', `${route.method} ${route.path}`);
      assert.equal(operation.security.length > 0, route.authenticated, `${route.method} ${route.path} security`);
      for (const name of route.path.matchAll(/\{(\w+)\}/g)) {
        assert.ok(
          operation.parameters.some((parameter) => parameter.name === name[1] && parameter.in === 'path'),
          `${route.path} documents {${name[1]}}`,
        );
      }
    }
  });

  it('describes the answers by their types, with every component they name', () => {
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    const release = schemas.ReleaseView as { properties: Record<string, Json>; required: string[] };
    for (const field of ['id', 'status', 'phases', 'waitingFor', 'progress']) {
      assert.ok(release.properties[field], `ReleaseView.${field}`);
    }
    const text = JSON.stringify(document);
    for (const ref of text.matchAll(/"#\/components\/(schemas|responses|parameters)\/([^"]+)"/g)) {
      const [, kind, name] = ref;
      const group = (document.components as Record<string, Record<string, unknown>>)[kind as string];
      assert.ok(group?.[name as string], `#/components/${kind}/${name} exists`);
    }
    assert.doesNotMatch(text, /#\/definitions\//, 'no reference is left pointing outside the document');
  });

  it('lists every problem type the code raises, each with an example of its own status', () => {
    const raised = new Set<string>();
    for (const file of sources(join(ROOT, 'lambdas'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/new RuleViolation\(\s*'([a-z-]+)'/g)) raised.add(match[1] as string);
      for (const match of text.matchAll(/readonly code = '([a-z-]+)'/g)) raised.add(match[1] as string);
    }
    assert.ok(raised.size >= 20, `found ${raised.size} codes`);
    for (const code of raised) assert.ok(PROBLEM_TYPES[`/problems/${code}`], `/problems/${code} is documented`);
    const responses = (document.components as { responses: Record<string, Json> }).responses;
    for (const [type, problem] of Object.entries(PROBLEM_TYPES)) {
      const examples = (
        responses[`Problem${problem.status}`] as {
          content: Record<string, { examples: Record<string, { value: Json }> }>;
        }
      ).content['application/problem+json']?.examples;
      const example = Object.values(examples ?? {}).find((candidate) => candidate.value.type === type);
      assert.equal(example?.value.status, problem.status, `${type} has an example`);
    }
  });
});

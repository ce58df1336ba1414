// The contract against the running API: GET /openapi.json is served without a token, and what the local runtime
// answers (successes and problems, route by route) validates against the document's own schemas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { OPENAPI_FILE } from '../../scripts/openapi.ts';
import { localRuntimeForSuite } from '../support/drive.ts';
import { type ApiResponse, api, tokenFor } from '../support/local-process.ts';

type Json = Record<string, unknown>;
type Operation = { responses: Record<string, { $ref?: string; content?: Record<string, { schema: Json }> }> };

const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, { content: Record<string, { schema: Json }> }>;
  };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components });

/** Checks an answer against what the document says the operation answers with that status. */
function assertConforms(path: string, method: string, response: ApiResponse): void {
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${path} is documented`);
  let answer = operation.responses[String(response.status)];
  assert.ok(answer, `${method} ${path} documents status ${response.status}: ${JSON.stringify(response.body)}`);
  if (answer.$ref) answer = document.components.responses[answer.$ref.split('/').pop() as string];
  const [mediaType, content] = Object.entries(answer?.content ?? {})[0] ?? [];
  assert.ok(content, `${method} ${path} ${response.status} has a body`);
  assert.equal(response.headers.get('content-type')?.split(';')[0], mediaType);
  if (mediaType === 'text/markdown') {
    assert.equal(typeof response.body, 'string');
    return;
  }
  const ref = content.schema.$ref as string;
  const validate = ajv.getSchema(`openapi${ref}`);
  assert.ok(validate, ref);
  assert.ok(validate(response.body), `${method} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}`);
}

describe('the API answers as its OpenAPI document says', () => {
  const runtime = localRuntimeForSuite({});
  let rm: string;
  let qa: string;

  before(async () => {
    [rm, qa] = await Promise.all([
      tokenFor(runtime.d.local.dataDir, 'rita', ['release-manager']),
      tokenFor(runtime.d.local.dataDir, 'quinn', ['qa-lead']),
    ]);
  });

  const call = async (method: string, template: string, path: string, token?: string, body?: unknown) => {
    const response = await api(runtime.d.local.url, method, path, { token, body });
    assertConforms(template, method, response);
    return response;
  };

  it('serves the document itself without a token', async () => {
    const response = await api(runtime.d.local.url, 'GET', '/openapi.json');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, document);
  });

  it('answers the routes of a release with bodies of the documented types', async () => {
    const { url } = runtime.d.local;
    await call('GET', '/health', '/health');
    await call('GET', '/health/ready', '/health/ready');
    const templates = await call('GET', '/templates', '/templates', qa);
    assert.ok(templates.body.items.length >= 2);
    await call('GET', '/templates/{templateId}', '/templates/toolboxai-v1', qa);
    await call('GET', '/templates/{templateId}/versions/{version}', '/templates/toolboxai-v1/versions/1', qa);
    await call('GET', '/templates/{templateId}/checklist.md', '/templates/toolboxai-v1/checklist.md', qa);
    const created = await call('POST', '/releases', '/releases', rm, {
      templateId: 'toolboxai-v1',
      name: 'contract',
      version: '1.0.0',
    });
    const id = created.body.id as string;
    await call('GET', '/releases', '/releases', qa);
    await call('GET', '/releases/{releaseId}', `/releases/${id}`, qa);
    const item = created.body.phases[0].sections[0].items[0].children[0].id as string;
    await call('PATCH', '/releases/{releaseId}/items/{itemId}', `/releases/${id}/items/${item}`, qa, {
      status: 'done',
      evidence: { url: 'https://ci.example.com/run/1' },
    });
    await call('POST', '/releases/{releaseId}/signoffs', `/releases/${id}/signoffs`, qa, {
      gate: 'pre-release',
      role: 'qa-lead',
      decision: 'approve',
    });
    await call(
      'DELETE',
      '/releases/{releaseId}/signoffs/{gate}/{role}',
      `/releases/${id}/signoffs/pre-release/qa-lead`,
      qa,
    );
    await call('GET', '/releases/{releaseId}/events', `/releases/${id}/events`, qa);
    await call('GET', '/releases/{releaseId}/report', `/releases/${id}/report`, qa);
    await call('GET', '/releases/{releaseId}/notifications', `/releases/${id}/notifications`, qa);
    await call('GET', '/releases/{releaseId}/checklist.md', `/releases/${id}/checklist.md`, qa);
    const agent = runtime.agent;
    await call('POST', '/releases/{releaseId}/metrics', `/releases/${id}/metrics`, agent, {
      samples: [{ name: 'api.errors', value: 0 }],
    });
    const contact = await call('POST', '/contacts', '/contacts', rm, {
      name: 'Olga',
      email: 'olga@example.com',
      roles: ['on-call'],
    });
    await call('GET', '/contacts', '/contacts', rm);
    await call('DELETE', '/contacts/{contactId}', `/contacts/${contact.body.id}`, rm);
    await call('POST', '/releases/{releaseId}/cancel', `/releases/${id}/cancel`, rm, { reason: 'contract test' });
    assert.ok(url);
  });

  it('answers problems of the documented types', async () => {
    await call('POST', '/releases', '/releases', rm, { templateId: 'Not A Slug', name: 'x', version: '1' });
    await call('GET', '/releases/{releaseId}', '/releases/nope', qa);
    await call('POST', '/releases', '/releases', qa, { templateId: 'toolboxai-v1', name: 'x', version: '1' });
    const release = await call('POST', '/releases', '/releases', rm, {
      templateId: 'toolboxai-v1',
      name: 'problems',
      version: '1',
    });
    await call('POST', '/releases/{releaseId}/rollback', `/releases/${release.body.id}/rollback`, rm, {
      reason: 'too early',
    });
    await call('POST', '/releases/{releaseId}/rollback/dismiss', `/releases/${release.body.id}/rollback/dismiss`, rm, {
      reason: 'nothing proposed',
    });
  });
});

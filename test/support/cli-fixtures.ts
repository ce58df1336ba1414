// What the CLI's tests share: a release view as GET /releases/{id} answers it, built by the real use cases over an
// in-memory store (for the renderers and the wait rules), and the small web checklist the end-to-end tests import.

import type { ReleaseView } from '../../cli/render/types.ts';
import { releaseContext } from '../../lambdas/core/release/context.ts';
import { createRelease, getRelease } from '../../lambdas/core/release/release-use-cases.ts';
import type { Template } from '../../lambdas/core/template/template.ts';
import { fixedClock, sequentialIds, testTemplate, user } from './fixtures.ts';
import { MemoryReleaseStore } from './memory-store.ts';
import { RecordingWorkflow } from './recording-workflow.ts';

export type ReleaseService = ReturnType<typeof releaseContext>;

/** The view of a release created by rita from `template`, after `act` ran on it, as JSON carries it. */
export async function releaseViewOf(
  template: Template = testTemplate(),
  act: (service: ReleaseService, id: string) => Promise<unknown> = async () => undefined,
): Promise<ReleaseView> {
  const rita = user('rita', ['release-manager']);
  const service = releaseContext({
    store: new MemoryReleaseStore(),
    templates: { list: () => [template], get: (id) => (id === template.id ? template : undefined) },
    clock: fixedClock(),
    ids: sequentialIds(),
    workflow: new RecordingWorkflow(),
    backoff: async () => undefined,
  });
  const { id } = await createRelease(service, rita, { templateId: template.id, name: 'Spring', version: '2.0.0' });
  await act(service, id);
  return JSON.parse(JSON.stringify(await getRelease(service, rita, id))) as ReleaseView;
}

/** A two-phase web checklist: a group item, an ordered deployment list, two sign-off roles. */
export const WEB_CHECKLIST = `# Web release

## Before release
- [ ] Run the full test suite
- [ ] Update the changelog
  - [ ] Link every pull request

## Deploy to production
1. Deploy the API
2. Deploy the web app

## Sign-off
- [ ] **QA Lead**: ____
- [ ] **Security Lead**: ____
`;

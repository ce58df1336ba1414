// The permission table's rules that the HTTP matrix (test/e2e/permissions.test.ts) cannot reach with the built-in
// templates: a checklist that names no role, and who manages templates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import { isAllowed } from '../../lambdas/core/auth/permissions.ts';
import type { TemplateItem } from '../../lambdas/core/template/template.ts';

const person = (roles: string[]): Actor => ({ kind: 'user', id: 'p', name: 'P', roles, scopes: [] });
const machine = (scopes: string[]): Actor => ({ kind: 'machine', id: 'ci', name: 'CI', roles: [], scopes });
const item: TemplateItem = {
  id: 'x',
  title: 'X',
  kind: 'manual',
  required: true,
  children: [],
  source: { line: 1, text: '- [ ] X' },
};

describe('permissions', () => {
  it("lets any signed-in person work the items of a template that names no role, and only the team's otherwise", () => {
    const update = (teamRoles: string[]) => ({ kind: 'update-item' as const, itemId: 'x', item, teamRoles });
    assert.equal(isAllowed(person(['intern']), update([])), true);
    assert.equal(isAllowed(person([]), update([])), true);
    assert.equal(isAllowed(person(['intern']), update(['qa-lead'])), false);
    assert.equal(isAllowed(person(['qa-lead']), update(['qa-lead'])), true);
    // A machine still ticks only what CI verifies.
    assert.equal(isAllowed(machine(['shipgate/items.write']), update([])), false);
  });

  it('gives template management to release managers alone', () => {
    assert.equal(isAllowed(person(['release-manager']), { kind: 'manage-templates' }), true);
    assert.equal(isAllowed(person(['qa-lead']), { kind: 'manage-templates' }), false);
    assert.equal(isAllowed(machine(['shipgate/read', 'shipgate/items.write']), { kind: 'manage-templates' }), false);
  });
});

// The permission table's rules that the HTTP matrix (test/e2e/permissions.test.ts) cannot reach with the built-in
// templates: a checklist that names no role, and who manages templates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import { authorize, isAllowed, PermissionDenied } from '../../lambdas/core/auth/permissions.ts';
import { Forbidden } from '../../lambdas/core/errors.ts';
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

  it('lets only release managers play an alarm into the alarm handler', () => {
    assert.equal(isAllowed(person(['release-manager']), { kind: 'play-alarm' }), true);
    assert.equal(isAllowed(person(['devops-lead']), { kind: 'play-alarm' }), false);
    assert.equal(isAllowed(machine([]), { kind: 'play-alarm' }), false);
    assert.equal(isAllowed(machine(['shipgate/read', 'shipgate/metrics.write']), { kind: 'play-alarm' }), false);
  });

  /** The denial authorize() throws, checked to be the Forbidden every handler maps to 403. */
  const denial = (actor: Actor, action: Parameters<typeof authorize>[1]): PermissionDenied => {
    try {
      authorize(actor, action);
    } catch (error) {
      assert.ok(error instanceof PermissionDenied && error instanceof Forbidden);
      return error;
    }
    assert.fail('expected a denial');
  };

  it('names who would be allowed in a denial, as problem members and in words', () => {
    const metrics = denial(person(['release-manager']), { kind: 'push-metrics' });
    assert.equal(metrics.permission, 'metrics:write');
    assert.deepEqual(metrics.extensions, {
      permission: 'metrics:write',
      allowed: { roles: [], scopes: ['shipgate/metrics.write'] },
    });
    assert.match(metrics.message, /allowed: machine clients with scope shipgate\/metrics\.write/);

    const read = denial(machine([]), { kind: 'read' });
    assert.deepEqual(read.extensions.allowed, { roles: '*', scopes: ['shipgate/read'] });
    assert.match(read.message, /allowed: any signed-in person; machine clients with scope shipgate\/read/);

    const tick = denial(person(['intern']), { kind: 'update-item', itemId: 'x', item, teamRoles: ['qa-lead'] });
    assert.deepEqual(tick.extensions.allowed, { roles: ['release-manager', 'qa-lead'], scopes: [] });

    const sign = denial(person(['qa-lead']), { kind: 'sign', role: 'security-lead' });
    assert.deepEqual(sign.extensions, {
      permission: 'signoff:security-lead',
      allowed: { roles: ['security-lead'], scopes: [] },
    });
    assert.match(
      sign.message,
      /^missing permission signoff:security-lead: P holds qa-lead; allowed: roles security-lead$/,
    );
  });
});

// Small, hand-built templates and actors for unit tests of the rules.
import type { Actor } from '../../lambdas/core/auth/actor.ts';
import type { Clock, IdGenerator } from '../../lambdas/core/ports.ts';
import { Template, type TemplateItem } from '../../lambdas/core/template/template.ts';

let line = 0;
const src = (text: string) => ({ line: ++line, text });

export function item(id: string, options: Partial<Omit<TemplateItem, 'id' | 'source'>> = {}): TemplateItem {
  return {
    id,
    title: options.title ?? id.replaceAll('-', ' '),
    required: options.required ?? true,
    kind: options.kind ?? 'manual',
    metric: options.metric,
    children: options.children ?? [],
    source: src(`- [ ] ${id}`),
  };
}

const signoff = (role: string, required = true) => ({ role, label: role, required, criteria: [], source: src(role) });

/**
 * Two gated phases: `pre-release` (items tests-pass [automated], docs group {changelog, upx optional}, security-scan;
 * signed by qa-lead and security-lead) and `deployment` (item deploy-backend; signed by release-manager).
 */
export function testTemplate(overrides: Partial<Template> = {}): Template {
  return Template.parse({
    id: 'test-template',
    name: 'Test template',
    description: 'for unit tests',
    sourceFile: 'test.md',
    metadata: {},
    roles: [
      { id: 'qa-lead', label: 'QA Lead' },
      { id: 'security-lead', label: 'Security Lead' },
      { id: 'release-manager', label: 'Release Manager' },
    ],
    phases: [
      {
        id: 'pre-release',
        name: 'Pre-release',
        kind: 'pre-release',
        sections: [
          {
            id: 'quality',
            title: 'Quality',
            source: src('### Quality'),
            items: [
              item('tests-pass', { kind: 'automated' }),
              item('docs', { children: [item('changelog'), item('upx', { required: false })] }),
              item('security-scan'),
              item('helm-charts', { required: false }),
            ],
          },
        ],
        gate: { id: 'pre-release', name: 'Pre-release gate', signoffs: [signoff('qa-lead'), signoff('security-lead')] },
      },
      {
        id: 'deployment',
        name: 'Deployment',
        kind: 'deployment',
        sections: [{ id: 'deploy', title: 'Deploy', source: src('### Deploy'), items: [item('deploy-backend')] }],
        gate: { id: 'deployment', name: 'Deployment gate', signoffs: [signoff('release-manager')] },
        steps: [{ id: 'backend', name: 'Backend', itemId: 'deploy-backend' }],
      },
    ],
    rollback: { triggers: [], procedure: [], validation: [] },
    successMetrics: [],
    escalation: { levels: [], intervalMinutes: 15 },
    onCall: [],
    separationOfDuties: { distinctSignersPerGate: true, creatorNotSoleApprover: true },
    mappings: [],
    ...overrides,
  });
}

export const user = (id: string, roles: string[]): Actor => ({ kind: 'user', id, name: id, roles, scopes: [] });

export const machine = (id: string, scopes: string[]): Actor => ({ kind: 'machine', id, name: id, roles: [], scopes });

export function fixedClock(start = Date.parse('2026-11-21T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
  };
}

export function sequentialIds(): IdGenerator {
  let n = 0;
  const next = () => String(++n).padStart(8, '0');
  return { id: () => `rel${next()}`, eventId: () => `evt${next()}` };
}

/**
 * A template whose pre-release gate has `roleCount` roles (`role-1`, …) and 50 items, for the concurrency checks: many
 * people signing one gate while others tick its items.
 */
export function wideGateTemplate(id: string, roleCount: number): Template {
  const base = testTemplate();
  const [pre, ...rest] = base.phases;
  if (!pre) throw new Error('the test template has a first phase');
  const roles = Array.from({ length: roleCount }, (_, n) => `role-${n + 1}`);
  return {
    ...base,
    id,
    roles: [...base.roles, ...roles.map((role) => ({ id: role, label: role }))],
    phases: [
      {
        ...pre,
        sections: [
          {
            id: 'many',
            title: 'Many',
            source: { line: 1, text: '### Many' },
            items: Array.from({ length: 50 }, (_, n) => item(`item-${n + 1}`)),
          },
        ],
        gate: {
          id: 'pre-release',
          name: `A gate of ${roleCount} roles`,
          signoffs: roles.map((role) => ({
            role,
            label: role,
            required: true,
            criteria: [],
            source: { line: 2, text: role },
          })),
        },
      },
      ...rest,
    ],
  };
}

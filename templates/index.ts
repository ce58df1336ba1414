// The built-in templates, generated from templates/source/*.md by scripts/build-templates.ts.
import { Template } from '../lambdas/core/template/template.ts';
import mantisdb from './mantisdb-v1.json' with { type: 'json' };
import toolboxai from './toolboxai-v1.json' with { type: 'json' };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Every built-in template, validated against the contract when the module loads (a hand-edited JSON file that
 * breaks it fails at cold start, not in a request) and frozen, since releases snapshot them and callers share them.
 */
export const builtInTemplates: readonly Template[] = deepFreeze([Template.parse(mantisdb), Template.parse(toolboxai)]);

/** The built-in template with this id, or undefined. */
export function findBuiltInTemplate(id: string): Template | undefined {
  return builtInTemplates.find((template) => template.id === id);
}

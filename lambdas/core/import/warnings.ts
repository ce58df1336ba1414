// Warnings about a finished import that the checklist's author can act on: ticked boxes, a missing sign-off section,
// a document without headings or checkboxes.
import type { Template } from '../template/template.ts';
import type { ChecklistDocument } from './document.ts';
import type { ImportWarning } from './report.ts';

export function importWarnings(document: ChecklistDocument, template: Template): ImportWarning[] {
  const warnings: ImportWarning[] = [];
  const steps = document.allEntries.filter((entry) => entry.step);
  const checked = steps.filter((entry) => entry.checkbox === 'done');
  if (checked.length > 0) {
    const count = checked.length === 1 ? '1 item was' : `${checked.length} items were`;
    warnings.push({ line: checked[0]?.line, message: `${count} pre-checked; a template starts blank` });
  }
  const lead = document.lead && document.nodes.includes(document.lead) ? document.lead : undefined;
  if (lead && document.headless) {
    warnings.push({ message: 'no heading: the steps form one pre-release phase' });
  } else if (lead) {
    const line = lead.direct.entries[0]?.line;
    warnings.push({ line, message: 'steps before the first heading: they open the pre-release phase' });
  }
  if (steps.length > 0 && !steps.some((entry) => entry.checkbox !== null)) {
    warnings.push({ message: 'no checkbox: every list item (numbered steps and their bullets) was read as a step' });
  }
  const gates = template.phases.flatMap((phase) => (phase.gate ? [phase.gate] : []));
  if (gates.length > 0 && gates.every((gate) => gate.signoffs.length === 0)) {
    const ids = gates.map((gate) => gate.id);
    const which = ids.length === 1 ? `gate ${ids[0]} requires` : `gates ${ids.join(', ')} require`;
    warnings.push({ message: `no sign-off section: ${which} no role` });
  }
  return warnings;
}

// Gates: each sign-off joins the gate of the phase it names, else the release's own (pre-release) gate.

import type { SourceMapping } from '../template/template.ts';
import type { DraftPhase, ImportState, PendingSignoff } from './state.ts';

/** A sign-off group line and the phase whose gate id becomes its ref once phases have ids. */
export interface GroupRef {
  readonly phase: DraftPhase;
  readonly mapping: SourceMapping;
}

/** Puts every pending sign-off on its phase, merging the criteria of a role that signs the same gate twice. */
export function placeSignoffs(state: ImportState): GroupRef[] {
  const groupRefs: GroupRef[] = [];
  for (const pending of state.pendingSignoffs) {
    const phase = gatedPhase(state.phases, pending);
    const existing = phase.signoffs.find((s) => s.role === pending.requirement.role);
    if (existing) existing.criteria.push(...pending.requirement.criteria);
    else phase.signoffs.push(pending.requirement);
    for (const mapping of pending.groupMappings) groupRefs.push({ phase, mapping });
  }
  return groupRefs;
}

/** The phase a sign-off gates; a confirmation sign-off without a confirmation phase gets one of its own. */
function gatedPhase(phases: DraftPhase[], pending: PendingSignoff): DraftPhase {
  let phase = pending.target ? phases.find((p) => p.kind === pending.target && p.kind !== 'follow-up') : undefined;
  if (!phase && pending.target === 'confirmation') {
    phase = {
      name: pending.region.name,
      kind: 'confirmation',
      sections: [],
      signoffs: [],
      source: pending.region.source,
    };
    phases.push(phase);
  }
  // Sign-offs that name no phase approve the release itself: the pre-release gate.
  phase ??= phases.find((p) => p.kind === 'pre-release') ?? phases.find((p) => p.kind !== 'follow-up');
  if (!phase) throw new Error(`sign-off "${pending.requirement.label}" has no gated phase to sign`);
  return phase;
}

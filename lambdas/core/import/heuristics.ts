// Keyword rules that give checklist text its meaning in a template: what a heading is, what CI verifies, who a role is.
import type { PhaseKind } from '../template/template.ts';
import { cleanDisplayText, slugify } from './text.ts';

/** What a top-level heading of a checklist becomes. */
export type HeadingRole = 'signoff' | 'rollback' | 'success-metrics' | PhaseKind;

/**
 * Heading keywords, tested in this order on the cleaned heading: the first match wins, so "Lessons Learned
 * (Post-Release)" is follow-up work, not monitoring, and "Release Sign-off" is sign-offs, not deployment.
 */
const headingRules: readonly { readonly role: HeadingRole; readonly pattern: RegExp }[] = [
  { role: 'signoff', pattern: /\bsign[- ]?offs?\b|\bapprovals?\b/i },
  { role: 'rollback', pattern: /\broll[- ]?backs?\b/i },
  { role: 'success-metrics', pattern: /\bsuccess (?:metrics|criteria)\b|\bkpis?\b/i },
  {
    role: 'follow-up',
    pattern:
      /\blessons learned\b|\bnext steps\b|\bretrospective\b|\bfollow[- ]?ups?\b|\bpost[- ]?mortem\b|\baction items\b/i,
  },
  {
    role: 'pre-release',
    pattern:
      /\bpre[- ]?release\b|\bpreparation\b|\bprerequisites?\b|\b(?:before|prior to) (?:the )?release\b|\bprepar(?:e|ing)\b/i,
  },
  {
    role: 'monitoring',
    pattern:
      /\bpost[- ]?(?:release|deploy(?:ment)?|launch)\b|\bmonitoring\b|\bafter (?:the )?(?:release|deploy(?:ment)?|launch|publishing)\b/i,
  },
  { role: 'staging', pattern: /\bstaging\b|\brelease candidates?\b|\bpre[- ]?production\b/i },
  {
    role: 'deployment',
    pattern:
      /\bdeploy(?:ment|ments)?\b|\brelease process\b|\brollout\b|\bgo[- ]live\b|\blaunch\b|\bpublish(?:ing)?\b|\breleasing\b|^(?:the\s+)?(?:final\s+)?release(?:\s+(?:steps?|tasks?|day))?$/i,
  },
  { role: 'confirmation', pattern: /\bconfirmation\b|\bcompletion\b|\bfinish\b|\bwrap[- ]?up\b/i },
];

/** The role a top-level heading names by keyword, or undefined when it names none. */
export function headingRole(title: string): HeadingRole | undefined {
  return headingRules.find((rule) => rule.pattern.test(title))?.role;
}

/** Sign-off headings name the gate they sign: confirmation wording first, since "Post-Release" also says "release". */
const signoffTargetRules: readonly { readonly kind: PhaseKind; readonly pattern: RegExp }[] = [
  { kind: 'confirmation', pattern: /\bconfirm(?:ation)?\b|\bcompletion\b|\bpost[- ]?release\b|\bfinal\b/i },
  { kind: 'staging', pattern: /\bstaging\b/i },
  { kind: 'deployment', pattern: /\bdeploy(?:ment)?\b/i },
  { kind: 'monitoring', pattern: /\bmonitoring\b/i },
  { kind: 'pre-release', pattern: /\bpre[- ]?release\b|\bgo[/ ]no[- ]go\b/i },
];

/** The phase kind whose gate a sign-off heading names, or undefined (the caller defaults to the pre-release gate). */
export function signoffTarget(title: string): PhaseKind | undefined {
  return signoffTargetRules.find((rule) => rule.pattern.test(title))?.kind;
}

/**
 * What CI verifies: tests passing, named automated test suites, builds and compilation, lint/format/type checks,
 * scans, dependency audits, coverage, benchmarks. Human reviews ("Security audit", "Penetration testing",
 * "Load testing", "Manual testing") are not on the list.
 */
const automatedPatterns: readonly RegExp[] = [
  /\btests?\b.*\bpass(?:es|ed|ing)?\b/,
  /\btest suites?\b/,
  /\b(?:unit|integration|e2e|end-to-end|smoke|regression|performance) tests\b/,
  /\b(?:builds?|built|compiles?|compiled|compilation|compiler)\b/,
  /\blint(?:s|ed|ing|er|ers)?\b/,
  /\bformat(?:ted|ting)\b/,
  /\btype[- ]?check(?:s|ed|ing)?\b/,
  /\bscan(?:s|ned|ning)?\b/,
  /\b(?:npm|yarn|pnpm|cargo|pip|bundle) audit\b/,
  /\bdependenc(?:y|ies)\b.*\b(?:audit|scan|secure|vulnerabilit(?:y|ies))/,
  /\bcoverage\b/,
  /\bbenchmarks?\b/,
];

/** True when CI can verify the item (see `automatedPatterns`). */
export function isAutomated(title: string): boolean {
  const text = title.toLowerCase();
  if (/\bmanual(?:ly)?\b/.test(text)) return false;
  return automatedPatterns.some((pattern) => pattern.test(text));
}

/**
 * Role id of a label as the checklist writes it: the label's slug without the words "Team" and "Primary" (a team lead
 * is the lead; the primary release manager is the release manager). "QA Team Lead" -> `qa-lead`,
 * "Executive Team" -> `executive`.
 */
export function roleSlug(label: string): string {
  const words = cleanDisplayText(label)
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\b(?:team|primary)\b/gi, ' ');
  return slugify(words, slugify(label, 'role'));
}

/** ISO-8601 duration of a monitoring window named in a heading ("First 2 Hours" -> `PT2H`, "First Week" -> `P7D`). */
export function parseWindowDuration(title: string): string | undefined {
  const counted = /\b(\d+)\s*(minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?)\b/i.exec(title);
  const single = /\b(?:first|one|next)\s+(hour|day|week|month)\b/i.exec(title);
  const amount = counted ? Number(counted[1]) : single ? 1 : undefined;
  const unit = (counted?.[2] ?? single?.[1] ?? '').toLowerCase();
  if (amount === undefined || amount <= 0 || !Number.isSafeInteger(amount * 30)) return undefined;
  if (unit.startsWith('m') && !unit.startsWith('mo')) return `PT${amount}M`;
  if (unit.startsWith('h')) return `PT${amount}H`;
  if (unit.startsWith('d')) return `P${amount}D`;
  // The duration pattern of a window has no week or month designator: a week is 7 days, a month 30.
  if (unit.startsWith('w')) return `P${amount * 7}D`;
  if (unit.startsWith('mo')) return `P${amount * 30}D`;
  return undefined;
}

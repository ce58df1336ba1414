// The roles Shipgate itself gives a meaning to; every other role is the template's own.

/** Creates releases, hears about everything a release does, confirms rollbacks, may acknowledge any page. */
export const RELEASE_MANAGER = 'release-manager';
/** Told about production deployment: entering it, and each of its steps. */
export const DEVOPS_LEAD = 'devops-lead';
/** Hears only that a release is out (`release.announced`), besides every role of the template. */
export const STAKEHOLDER = 'stakeholder';
/**
 * Hears of every rollback (requested, proposed, completed, failed) of every release, whatever the template's on-call
 * section names: the role a contact takes to be on call for all templates.
 */
export const ON_CALL = 'on-call';

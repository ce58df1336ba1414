// cdk-nag for Shipgate: the one place that decides which rule packs check the app, used by bin/shipgate.ts (so
// `cdk synth` checks) and by the infra tests (so `npm test` checks the same way).
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Adds cdk-nag's AwsSolutions pack to the app as a validation plugin: synthesis then fails on any finding, error or
 * warning, that is not acknowledged (`Validations.of(construct).acknowledge({ id, reason })`) on the construct it
 * concerns or one of its parents. Shipgate acknowledges findings on the narrowest construct, next to the code that
 * causes them.
 */
export function applyNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

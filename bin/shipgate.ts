// The CDK app: `cdk synth` and `cdk deploy` run this file (see cdk.json).
import { App } from 'aws-cdk-lib';
import { applyNag } from '../lib/nag.ts';
import { ShipgateStack } from '../lib/shipgate-stack.ts';

const app = new App();
// Every synth is checked against cdk-nag's AwsSolutions rules; an unacknowledged finding fails it.
applyNag(app);

// `-c stackName=...` deploys a second copy (a staging Shipgate, say) into the same account and region.
const stackName: unknown = app.node.tryGetContext('stackName') ?? 'Shipgate';
if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
  throw new Error(`context stackName must be a CloudFormation stack name, got ${JSON.stringify(stackName)}`);
}

// No `env`: the stack stays environment-agnostic, so synthesis needs no AWS credentials and no lookups.
new ShipgateStack(app, 'Shipgate', { stackName });

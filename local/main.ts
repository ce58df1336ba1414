// `npm start`: runs Shipgate on this machine with no AWS account, until Ctrl-C.
import { relative } from 'node:path';
import { JavaMissingError } from './dynamodb-local.ts';
import { FAULTS_ENV, FAULTS_FILE } from './faults.ts';
import { InstanceRunningError } from './instance-lock.ts';
import { startLocalRuntime } from './runtime.ts';

const port = Number(process.env.PORT ?? process.env.SHIPGATE_PORT ?? 3000);
const dataDir = process.env.SHIPGATE_DATA_DIR ?? '.shipgate';
const timeScale = Number(process.env.SHIPGATE_TIME_SCALE ?? 1);

if (!Number.isFinite(timeScale) || timeScale <= 0) {
  console.error(
    `SHIPGATE_TIME_SCALE must be a positive number (3600: an hour passes in a second), not '${process.env.SHIPGATE_TIME_SCALE}'`,
  );
  process.exit(2);
}
// Test-only (npm run test:faults): makes the runtime read <dataDir>/faults.json; see local/faults.ts.
const faults = process.env[FAULTS_ENV] ?? '';
if (faults !== '' && faults !== '0' && faults !== '1') {
  console.error(`${FAULTS_ENV} turns test-only fault injection on with 1 (off: unset or 0), not '${faults}'`);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0-65535), not '${process.env.PORT ?? process.env.SHIPGATE_PORT}'`);
  process.exit(2);
}

const time = () => new Date().toISOString().slice(11, 19);

try {
  const runtime = await startLocalRuntime({
    port,
    dataDir,
    timeScale,
    smtpUrl: process.env.SHIPGATE_SMTP_URL,
    faultInjection: faults === '1',
    log: (line) => console.log(`${time()} ${line}`),
  });
  const shown = relative(process.cwd(), runtime.dataDir) || '.';
  console.log(`
Shipgate is running locally.
  HTTP API   ${runtime.url}
  DynamoDB   ${runtime.dynamodbEndpoint} (DynamoDB Local, data kept in ${shown}/dynamodb)
  Tokens     signed by the local issuer (key in ${shown}/issuer-key.json)
  Workflow   the Step Functions definition on aws-local-stepfunctions, time ${timeScale === 1 ? 'real' : `x${timeScale}`}; ${runtime.resumed.length} release(s) in flight resumed
  Alarms     CloudWatch stand-in, in process (GET /local/alarms); POST /local/alarms plays a state change
  Notify     outbox ${shown}/outbox.jsonl (GET /notifications)${process.env.SHIPGATE_SMTP_URL ? `, email via ${process.env.SHIPGATE_SMTP_URL}` : '; set SHIPGATE_SMTP_URL to send real email'}${faults === '1' ? `\n  Faults     ON (${FAULTS_ENV}=1, for tests only): ${shown}/${FAULTS_FILE} makes notifications and workflow tasks fail` : ''}

Try it (in another terminal, from this folder):
  export TOKEN=$(npm run -s token -- --user alice --name "Alice Ng" --roles release-manager)
  curl -s ${runtime.url}/templates -H "authorization: Bearer $TOKEN"

Press Ctrl-C to stop.
`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${time()} ${signal}: stopping the HTTP API and DynamoDB Local`);
    await runtime.stop();
    console.log(`${time()} stopped; data kept in ${shown}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof InstanceRunningError || error instanceof JavaMissingError) {
    console.error(error.message);
    process.exit(1);
  }
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    console.error(`Port ${port} is in use by another program; start Shipgate on another one: PORT=3001 npm start`);
    process.exit(1);
  }
  throw error;
}

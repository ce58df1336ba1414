// `npm test`: lint, type-check, then the default test kinds (or those named: `npm test -- unit e2e`) with one shared
// DynamoDB Local; ends with the line `N passed, N failed`. `npm run test:faults` names the kinds run only when named:
// faults and load, one file at a time, since each loads the machine and measures how the runtime copes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';

/** Run by `npm test`. */
const DEFAULT_KINDS = ['unit', 'integration', 'infra', 'e2e'] as const;
/** Run only when named: fault injection through the local runtime, and load (`npm run test:faults`). */
const NAMED_ONLY_KINDS = ['faults', 'load'] as const;
const KINDS = [...DEFAULT_KINDS, ...NAMED_ONLY_KINDS] as const;
const root = resolve(import.meta.dirname, '..');
const requested = process.argv.slice(2);
const unknown = requested.filter((kind) => !(KINDS as readonly string[]).includes(kind));
if (unknown.length > 0) {
  console.error(`unknown test kind ${unknown.join(', ')}; the kinds are ${KINDS.join(', ')}`);
  process.exit(2);
}
const kinds = requested.length > 0 ? requested : [...DEFAULT_KINDS];
// Their timings are part of what they check: two of them at once on a small machine would fail each other.
const serial = kinds.some((kind) => (NAMED_ONLY_KINDS as readonly string[]).includes(kind));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
let skipped = 0;

/** Runs a whole-repo check as one counted test. */
function check(name: string, command: string, args: string[]): void {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✖'} ${name} (${Date.now() - started} ms)`);
  if (ok) passed += 1;
  else failed += 1;
}

if (requested.length === 0) {
  check('lint and format (biome)', bin('biome'), ['check', '.']);
  check('typecheck (tsc)', bin('tsc'), ['--noEmit']);
  check('typecheck the web console (tsc -p web)', bin('tsc'), ['--noEmit', '-p', 'web']);
  // Type-only imports count: a cycle of types is still two modules that cannot be read one without the other.
  check('no import cycle under lambdas/ (dpdm)', bin('dpdm'), [
    '--no-tree',
    '--no-warning',
    '--exit-code',
    'circular:1',
    'lambdas/**/*.ts',
  ]);
}

const files = kinds.flatMap((kind) => {
  const dir = join(root, 'test', kind);
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.test.ts'))
      .sort()
      .map((name) => join('test', kind, name));
  } catch {
    return [];
  }
});

if (files.length === 0) {
  // `node --test` given no file would look for tests everywhere.
  console.log(`no test files under ${kinds.map((kind) => `test/${kind}/`).join(', ')}`);
} else {
  const needsDynamo = kinds.some((kind) => kind === 'integration' || kind === 'e2e');
  const dynamodb = needsDynamo ? await startDynamoDbLocal() : undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'shipgate-test-'));
  const summaryFile = join(scratch, 'summary.json');
  try {
    const result = spawnSync(
      process.execPath,
      [
        '--test',
        `--test-concurrency=${serial ? 1 : 2}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'scripts', 'summary-reporter.ts')}`,
        `--test-reporter-destination=${summaryFile}`,
        ...files,
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          ...(dynamodb ? { SHIPGATE_TEST_DYNAMODB_ENDPOINT: dynamodb.endpoint } : {}),
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      },
    );
    try {
      const counts = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
        passed: number;
        failed: number;
        skipped: number;
      };
      passed += counts.passed;
      failed += counts.failed;
      skipped += counts.skipped;
    } catch {
      // The runner died before reporting: count the run itself as one failure.
      failed += 1;
    }
    if (result.status !== 0 && failed === 0) failed += 1;
  } finally {
    await dynamodb?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);

// A node:test reporter that counts tests (not suites) and writes `{"passed":N,"failed":N,"skipped":N}`.
import type { TestEvent } from 'node:test/reporters';

export default async function* summary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details.type === 'suite') {
      // A suite that fails outside its tests (a failing before hook) counts once.
      const failure =
        event.type === 'test:fail' ? (event.data.details.error as Error & { failureType?: string }) : undefined;
      if (failure && failure.failureType !== 'subtestsFailed') failed += 1;
      continue;
    }
    if (event.data.skip || event.data.todo) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else failed += 1;
  }
  yield `${JSON.stringify({ passed, failed, skipped })}\n`;
}

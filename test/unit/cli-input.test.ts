// Unit tests for what the CLI reads from its arguments, files and stdin: metric sample specs with their units, sample
// documents (JSON or one spec a line), batching for the API's 99-sample limit, durations and whole numbers, and how
// `metrics push --sample` collects repeated and listed samples.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CommanderError, InvalidArgumentError } from 'commander';
import { shipgateClient } from '../../cli/client.ts';
import {
  batches,
  parseDuration,
  parseSample,
  parseSampleDocument,
  readSource,
  type Sample,
  wholeNumber,
} from '../../cli/commands/input.ts';
import { metrics } from '../../cli/commands/metrics.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError, EXIT } from '../../cli/errors.ts';
import { program } from '../../cli/main.ts';
import { createOutput, type Streams } from '../../cli/output.ts';

/** Asserts a usage error (exit 2) whose message matches. */
const usage = (message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof CliError, String(error));
  assert.equal(error.code, EXIT.usage);
  assert.match(error.message, message);
  return true;
};

describe('sample specs', () => {
  it('reads name=value with the units ms, s, %, count and none, and no unit', () => {
    assert.deepEqual(parseSample('api.latency.p95=180ms'), {
      name: 'api.latency.p95',
      value: 180,
      unit: 'Milliseconds',
    });
    assert.deepEqual(parseSample('err=0.4%'), { name: 'err', value: 0.4, unit: 'Percent' });
    assert.deepEqual(parseSample('n=3count'), { name: 'n', value: 3, unit: 'Count' });
    assert.deepEqual(parseSample('boot=2.5s'), { name: 'boot', value: 2.5, unit: 'Seconds' });
    assert.deepEqual(parseSample('ratio=1.1none'), { name: 'ratio', value: 1.1, unit: 'None' });
    assert.deepEqual(parseSample('queue.depth=3'), { name: 'queue.depth', value: 3 });
    assert.deepEqual(parseSample('delta=-12ms'), { name: 'delta', value: -12, unit: 'Milliseconds' });
    assert.deepEqual(parseSample('big=1.5e3count'), { name: 'big', value: 1500, unit: 'Count' });
  });

  it('takes the API names of units and any case, and spaces around the parts', () => {
    assert.equal(parseSample('a=1Milliseconds').unit, 'Milliseconds');
    assert.equal(parseSample('a=1MS').unit, 'Milliseconds');
    assert.equal(parseSample('a=1Percent').unit, 'Percent');
    assert.deepEqual(parseSample('  cpu = 80 %  '), { name: 'cpu', value: 80, unit: 'Percent' });
  });

  it('carries the time the samples were measured when one is given', () => {
    const at = '2026-11-21T10:04:05Z';
    assert.deepEqual(parseSample('a=1ms', at), { name: 'a', value: 1, unit: 'Milliseconds', at });
  });

  it('rejects what is not name=value[unit] with a message that shows the form', () => {
    for (const spec of ['api.latency.p95', '=5', 'a=', 'a=fast', 'a=1=2', 'a b=1', 'a=.5', 'a=1,5']) {
      assert.throws(() => parseSample(spec), usage(/is not name=value\[unit\], e\.g\. api\.latency\.p95=180ms/), spec);
    }
  });

  it('rejects an unknown unit, naming it and the units there are', () => {
    assert.throws(
      () => parseSample('a=3parsecs'),
      usage(/^sample 'a=3parsecs': unit 'parsecs' is not one of ms, s, %/),
    );
    assert.throws(() => parseSample('a=3m'), usage(/unit 'm' is not one of/));
  });

  it('rejects a figure too large to be a number', () => {
    assert.throws(() => parseSample('a=1e999'), usage(/1e999 is not a finite number/));
  });
});

describe('sample documents', () => {
  it('reads {"samples": [...]} and a bare array as they are', () => {
    const samples: Sample[] = [
      { name: 'api.latency.p95', value: 180, unit: 'Milliseconds' },
      { name: 'api.error_rate', value: 0.2, unit: 'Percent', at: '2026-11-21T10:00:00Z' },
    ];
    assert.deepEqual(parseSampleDocument(JSON.stringify({ samples })), samples);
    assert.deepEqual(parseSampleDocument(`\n  ${JSON.stringify(samples)}\n`), samples);
  });

  it('gives --at to the samples of a document that carry no time of their own', () => {
    const at = '2026-11-21T12:00:00Z';
    const parsed = parseSampleDocument(
      JSON.stringify([
        { name: 'a', value: 1 },
        { name: 'b', value: 2, at: '2026-11-21T11:00:00Z' },
      ]),
      at,
    );
    assert.deepEqual(
      parsed.map((sample) => sample.at),
      [at, '2026-11-21T11:00:00Z'],
    );
  });

  it('reads one spec a line, skipping blank lines and # comments, with CRLF too', () => {
    const text = '# from the agent\r\napi.latency.p95=180ms\r\n\r\n  err=0.4%  \nn=3count\n';
    assert.deepEqual(parseSampleDocument(text), [
      { name: 'api.latency.p95', value: 180, unit: 'Milliseconds' },
      { name: 'err', value: 0.4, unit: 'Percent' },
      { name: 'n', value: 3, unit: 'Count' },
    ]);
  });

  it('names the line of a bad spec', () => {
    assert.throws(() => parseSampleDocument('a=1ms\n# ok\nb=slow\n'), usage(/^line 3: sample 'b=slow' is not/));
  });

  it('rejects JSON that does not parse, or holds no samples', () => {
    assert.throws(() => parseSampleDocument('{"samples": [}'), usage(/^the samples are not valid JSON: /));
    assert.throws(
      () => parseSampleDocument('{"sample": []}'),
      usage(/holds no samples: give \{"samples": \[\.\.\.\]\}/),
    );
  });

  it('finds nothing in a file of comments', () => {
    assert.deepEqual(parseSampleDocument('# nothing today\n\n'), []);
  });
});

describe('batches', () => {
  it('splits a list into batches of at most the size, in order', () => {
    const list = Array.from({ length: 250 }, (_, n) => n);
    const parts = batches(list, 99);
    assert.deepEqual(
      parts.map((part) => part.length),
      [99, 99, 52],
    );
    assert.deepEqual(parts.flat(), list);
    assert.deepEqual(
      batches([1, 2, 3], 3).map((part) => part.length),
      [3],
    );
    assert.deepEqual(batches([], 99), []);
    assert.deepEqual(
      batches(
        Array.from({ length: 100 }, (_, n) => n),
        99,
      ).map((part) => part.length),
      [99, 1],
    );
  });

  it('refuses a batch size that would never end', () => {
    assert.throws(() => batches([1], 0), RangeError);
    assert.throws(() => batches([1], 1.5), RangeError);
  });
});

describe('durations and whole numbers', () => {
  it('reads 90s, 15m, 2h, 1h30m, 500ms, 1d, and a bare number as seconds', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('45'), 45_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
  });

  it('rejects what is not a duration', () => {
    for (const text of ['', 'soon', '2 hours', '1h 30m', '-5s', '1h30']) {
      assert.throws(() => parseDuration(text), InvalidArgumentError, text);
    }
  });

  it('takes whole numbers of at least the minimum only', () => {
    assert.equal(wholeNumber()('3'), 3);
    assert.equal(wholeNumber(0)('0'), 0);
    for (const text of ['0', '-1', '1.5', 'two', '']) assert.throws(() => wholeNumber()(text), InvalidArgumentError);
  });
});

describe('reading a source', () => {
  const streams = (stdin: Buffer[]): Streams => ({
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
    stdin: Readable.from(stdin),
  });

  it('reads stdin for -, joining its chunks (a character split across two included)', async () => {
    const bytes = Buffer.from('a=1ms\n🚀=2count\n');
    // 'a=1ms\n' is 6 bytes and 🚀 the next 4: the cut falls inside it.
    const text = await readSource(streams([bytes.subarray(0, 8), bytes.subarray(8)]), '-');
    assert.equal(text, 'a=1ms\n🚀=2count\n');
  });

  it('fails with exit 2 naming a file it cannot read', async () => {
    await assert.rejects(
      readSource(streams([]), '/nonexistent/samples.json'),
      usage(/cannot read \/nonexistent\/samples\.json: ENOENT/),
    );
  });
});

describe('metrics push --sample', () => {
  /** Runs `metrics push R1 argv` over a client whose fetch records each request's samples and answers 200. */
  async function pushed(argv: string[]): Promise<{ code: number; bodies: unknown[]; stderr: string }> {
    const bodies: unknown[] = [];
    let stderr = '';
    const streams: Streams = {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    };
    const recording: typeof fetch = async (input, init) => {
      const samples = ((await new Request(input, init).json()) as { samples: unknown[] }).samples;
      bodies.push(samples);
      const answer = { accepted: samples.length, evaluated: false, breaches: [], items: [], rollback: 'none' };
      return Response.json(answer);
    };
    const context: CliContext = {
      out: createOutput(streams, false),
      streams,
      target: { url: 'http://shipgate.test', profile: 'default' },
      api: shipgateClient({ baseUrl: 'http://shipgate.test', token: 't', fetch: recording }),
    };
    try {
      await program(streams, [(root) => metrics(root, () => context)]).parseAsync(['metrics', 'push', 'R1', ...argv], {
        from: 'user',
      });
      return { code: EXIT.ok, bodies, stderr };
    } catch (error) {
      if (error instanceof CliError) return { code: error.code, bodies, stderr: `${stderr}${error.message}` };
      if (error instanceof CommanderError) return { code: EXIT.usage, bodies, stderr };
      throw error;
    }
  }

  it('sends every repeated --sample, not only the last', async () => {
    const ran = await pushed(['--sample', 'a=1ms', '--sample', 'b=2%', '--sample', 'c=3count']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.bodies, [
      [
        { name: 'a', value: 1, unit: 'Milliseconds' },
        { name: 'b', value: 2, unit: 'Percent' },
        { name: 'c', value: 3, unit: 'Count' },
      ],
    ]);
  });

  it('sends samples listed after one --sample', async () => {
    const ran = await pushed(['--sample', 'a=1ms', 'b=2%']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.bodies, [
      [
        { name: 'a', value: 1, unit: 'Milliseconds' },
        { name: 'b', value: 2, unit: 'Percent' },
      ],
    ]);
  });

  it('sends over 99 samples in requests of at most 99, in order', async () => {
    const specs = Array.from({ length: 120 }, (_, n) => `m${n}=${n}count`);
    const ran = await pushed(['--sample', ...specs]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(
      ran.bodies.map((body) => (body as unknown[]).length),
      [99, 21],
    );
    assert.deepEqual(
      ran.bodies.flat().map((sample) => (sample as Sample).name),
      specs.map((spec) => spec.split('=')[0]),
    );
  });

  it('refuses a bad spec before sending anything', async () => {
    const ran = await pushed(['--sample', 'a=1ms', '--sample', 'b=quick']);
    assert.equal(ran.code, EXIT.usage);
    assert.deepEqual(ran.bodies, []);
    assert.match(ran.stderr, /sample 'b=quick' is not name=value\[unit\]/);
  });

  it('lists the option in help as taking samples', () => {
    const root = program({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
    const push = root.commands.find((c) => c.name() === 'metrics')?.commands.find((c) => c.name() === 'push');
    const option = push?.options.find((o) => o.long === '--sample');
    assert.ok(option?.variadic, 'the option collects every sample given');
  });
});

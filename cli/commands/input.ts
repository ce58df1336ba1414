// What the commands read from their arguments, files and stdin: durations, counts, metric samples, documents.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { components, operations } from '../../client/schema.d.ts';
import { CliError, EXIT } from '../errors.ts';
import type { Streams } from '../output.ts';

/** Streams with the input a command may read (`-` for stdin); tests pass their own. */
export type InputStreams = Streams & { readonly stdin?: AsyncIterable<string | Uint8Array> | undefined };

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `2h`, `1h30m`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new InvalidArgumentError(`'${text}' is not a duration such as 90s, 15m, 2h or 1h30m`);
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNITS_MS[unit ?? 's'] ?? 1000), 0);
}

/** A whole number of at least `min`, for commander options. */
export const wholeNumber =
  (min = 1) =>
  (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) {
      throw new InvalidArgumentError(`'${text}' is not a whole number of at least ${min}`);
    }
    return Number(text);
  };

/** Collects a repeated option into a list (`--sample a=1 --sample b=2`, or `--sample a=1 b=2`). */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The text of FILE, or of stdin when it is `-`. */
export async function readSource(streams: InputStreams, source: string): Promise<string> {
  if (source === '-') {
    const stdin = streams.stdin ?? (process.stdin as AsyncIterable<string | Uint8Array>);
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

type MetricsBody = operations['recordMetrics']['requestBody']['content']['application/json'];
/** One metric sample as POST /releases/{releaseId}/metrics takes it. */
export type Sample = MetricsBody['samples'][number];
export type Unit = components['schemas']['MetricUnit'];

/** The units a sample may be written in, by what follows its value: `ms`, `s`, `%`, `count`, or the API's names. */
const UNIT_WORDS: Readonly<Record<string, Unit>> = {
  ms: 'Milliseconds',
  milliseconds: 'Milliseconds',
  s: 'Seconds',
  sec: 'Seconds',
  seconds: 'Seconds',
  '%': 'Percent',
  percent: 'Percent',
  count: 'Count',
  none: 'None',
};

/** `api.latency.p95=180ms`, `api.error_rate=0.4%`, `requests=1200count`, `queue.depth=3` (no unit). */
export function parseSample(spec: string, at?: string): Sample {
  const match = /^\s*([^=\s]+)\s*=\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([A-Za-z%]*)\s*$/i.exec(spec);
  if (!match) {
    throw new CliError(EXIT.usage, `sample '${spec}' is not name=value[unit], e.g. api.latency.p95=180ms`);
  }
  const [, name = '', value = '', word = ''] = match;
  // 1e999 reads as Infinity, which JSON sends as null.
  if (!Number.isFinite(Number(value)))
    throw new CliError(EXIT.usage, `sample '${spec}': ${value} is not a finite number`);
  const unit = word === '' ? undefined : UNIT_WORDS[word.toLowerCase()];
  if (word !== '' && !unit) {
    throw new CliError(EXIT.usage, `sample '${spec}': unit '${word}' is not one of ms, s, %, count, none`);
  }
  return { name, value: Number(value), ...(unit ? { unit } : {}), ...(at ? { at } : {}) };
}

/** Samples from a file or stdin: JSON (`{"samples": [...]}` or an array), or one `name=value[unit]` a line. */
export function parseSampleDocument(text: string, at?: string): Sample[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new CliError(EXIT.usage, `the samples are not valid JSON: ${(error as Error).message}`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { samples?: unknown }).samples;
    if (!Array.isArray(list)) throw new CliError(EXIT.usage, 'the JSON holds no samples: give {"samples": [...]}');
    // The API checks each sample's fields and names the wrong ones.
    return (list as Sample[]).map((sample) =>
      at && typeof sample === 'object' && sample !== null && sample.at === undefined ? { ...sample, at } : sample,
    );
  }
  const samples: Sample[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      samples.push(parseSample(line, at));
    } catch (error) {
      // Which line of a long file is wrong.
      if (error instanceof CliError) throw new CliError(error.code, `line ${index + 1}: ${error.message}`);
      throw error;
    }
  }
  return samples;
}

/** Splits a list into batches of at most `size`. */
export function batches<T>(list: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch holds at least 1, not ${size}`);
  const out: T[][] = [];
  for (let start = 0; start < list.length; start += size) out.push(list.slice(start, start + size));
  return out;
}

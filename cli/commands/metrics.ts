// `shipgate metrics push`: send metric samples for a release (from CI or a monitoring agent), in batches the API takes.
import type { Command } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { renderMetrics } from '../render/records.ts';
import type { MetricsOutcome } from '../render/types.ts';
import { batches, type InputStreams, parseSample, parseSampleDocument, readSource, type Sample } from './input.ts';

/** The most samples one request may carry (POST /releases/{releaseId}/metrics). */
export const SAMPLES_PER_REQUEST = 99;

export function metrics(program: Command, context: () => CliContext): void {
  const group = program.command('metrics').description('send metric samples for a release');

  group
    .command('push')
    .description('send samples; during a monitoring window they are evaluated at once against the rollback triggers')
    .argument('<release>', 'the release id')
    .argument('[source]', '- reads samples from stdin (JSON, or one name=value[unit] a line)')
    // `<name=value...>`, not `<name=value[unit]...>`: commander takes an option as variadic (a list) only when a
    // word character precedes the dots, so the latter kept the last --sample alone, as a string.
    .option(
      '--sample <name=value...>',
      'samples as name=value[unit], e.g. api.latency.p95=180ms api.error_rate=0.4% (repeatable)',
    )
    .option('--file <path>', 'a JSON file: {"samples": [{"name", "value", "unit"?, "at"?}]} or an array of samples')
    .option('--at <iso>', 'when the samples were measured (default: when Shipgate receives them)')
    .addHelpText(
      'after',
      '\nUnits: ms, s, % and count (Milliseconds, Seconds, Percent, Count), or none. More than 99 samples are sent' +
        '\nin several requests, in order; with --json, one request prints its answer, several print an array of them.' +
        '\nExamples:\n' +
        '  shipgate metrics push $RELEASE --sample api.latency.p95=180ms --sample api.error_rate=0.2%\n' +
        '  shipgate metrics push $RELEASE --file samples.json\n' +
        '  ./collect-metrics | shipgate metrics push $RELEASE -',
    )
    .action(
      async (
        releaseId: string,
        source: string | undefined,
        options: { sample?: string[]; file?: string; at?: string },
      ) => {
        const { api, out, streams } = context();
        if (source !== undefined && source !== '-') {
          throw new CliError(EXIT.usage, `unexpected argument '${source}': use --file ${source}, or - for stdin`);
        }
        if (options.at !== undefined && Number.isNaN(Date.parse(options.at))) {
          throw new CliError(EXIT.usage, `--at '${options.at}' is not an ISO-8601 date-time`);
        }
        const given = [options.sample?.length ? 1 : 0, options.file ? 1 : 0, source === '-' ? 1 : 0];
        if (given.reduce((a, b) => a + b, 0) !== 1) {
          throw new CliError(
            EXIT.usage,
            'give samples one way: --sample name=value[unit] …, --file samples.json, or -',
          );
        }
        const samples: Sample[] = options.sample?.length
          ? options.sample.map((spec) => parseSample(spec, options.at))
          : parseSampleDocument(await readSource(streams as InputStreams, options.file ?? '-'), options.at);
        if (samples.length === 0) throw new CliError(EXIT.usage, 'no samples to send');
        const outcomes: MetricsOutcome[] = [];
        const parts = batches(samples, SAMPLES_PER_REQUEST);
        for (const [index, part] of parts.entries()) {
          try {
            const { data } = await unwrap(
              api.POST('/releases/{releaseId}/metrics', { params: { path: { releaseId } }, body: { samples: part } }),
            );
            outcomes.push(data);
          } catch (error) {
            if (!(error instanceof CliError) || parts.length === 1) throw error;
            const stored = index * SAMPLES_PER_REQUEST;
            throw new CliError(
              error.code,
              `request ${index + 1} of ${parts.length} failed (the first ${stored} samples were stored): ${error.message}`,
              error.problem,
            );
          }
        }
        out.result(outcomes.length === 1 ? outcomes[0] : outcomes, () => renderMetrics(outcomes));
      },
    );
}

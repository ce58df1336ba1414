// `shipgate releases`: create a release from a template, list releases, show one, cancel and resume.
import { type Command, Option } from 'commander';
import { type ShipgateClient, unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { paint } from '../output.ts';
import { renderReleaseList } from '../render/records.ts';
import { releaseLine, renderRelease, waitingLines } from '../render/release.ts';
import { RELEASE_STATUSES, type ReleaseStatus, type ReleaseView, TERMINAL_STATUSES } from '../render/types.ts';
import { wholeNumber } from './input.ts';

/** GET /releases/{releaseId}. */
export async function loadRelease(api: ShipgateClient, releaseId: string): Promise<ReleaseView> {
  return (await unwrap(api.GET('/releases/{releaseId}', { params: { path: { releaseId } } }))).data;
}

/** The deadlines of the release's gates, from the template version it was made from; none if it cannot be read. */
export async function gateDeadlines(
  api: ShipgateClient,
  view: ReleaseView,
): Promise<Record<string, string> | undefined> {
  if (view.waitingFor?.kind !== 'gate') return undefined;
  const { data } = await api.GET('/templates/{templateId}/versions/{version}', {
    params: { path: { templateId: view.templateId, version: view.templateVersion ?? 1 } },
  });
  if (!data) return undefined;
  const deadlines: Record<string, string> = {};
  for (const phase of data.phases) if (phase.gate?.deadline) deadlines[phase.gate.id] = phase.gate.deadline;
  return deadlines;
}

/** A release after a change: its line, and what it waits for now. */
export function releaseAfter(view: ReleaseView, verb: string): string {
  const lines = [`${verb} ${releaseLine(view)}`];
  // An ended release waits for nothing, and its status on the first line says so.
  if (!TERMINAL_STATUSES.has(view.status)) lines.push(...waitingLines(view));
  return lines.join('\n');
}

export function releases(program: Command, context: () => CliContext): void {
  const group = program.command('releases').description('create, list, show, cancel and resume releases');

  group
    .command('create')
    .description("create a release from a template's latest version (or --template-version)")
    .requiredOption('--template <id>', 'the template id, e.g. toolboxai-v1 (see `shipgate templates list`)')
    .requiredOption('--name <name>', 'the release name, e.g. "ToolBoxAI 1.1.0"')
    .requiredOption('--version <version>', 'the version of the software being released, e.g. 1.1.0')
    .option('--template-version <n>', 'a template version other than the latest', wholeNumber())
    .option('--description <text>', 'what the release is')
    .option('--planned-at <iso>', 'when the release is planned, as an ISO-8601 date-time')
    .option('--alarm <name...>', 'CloudWatch alarms that roll the release back once production deployment starts')
    .option('-q, --quiet', 'print only the new release id (for RELEASE=$(shipgate releases create … -q))')
    .action(
      async (options: {
        template: string;
        name: string;
        version: string;
        templateVersion?: number;
        description?: string;
        plannedAt?: string;
        alarm?: string[];
        quiet?: boolean;
      }) => {
        const { api, out, streams } = context();
        if (options.plannedAt !== undefined && Number.isNaN(Date.parse(options.plannedAt))) {
          throw new CliError(EXIT.usage, `--planned-at '${options.plannedAt}' is not an ISO-8601 date-time`);
        }
        const { data } = await unwrap(
          api.POST('/releases', {
            body: {
              templateId: options.template,
              name: options.name,
              version: options.version,
              ...(options.templateVersion === undefined ? {} : { templateVersion: options.templateVersion }),
              ...(options.description === undefined ? {} : { description: options.description }),
              ...(options.plannedAt === undefined ? {} : { plannedAt: options.plannedAt }),
              ...(options.alarm?.length ? { alarmNames: options.alarm } : {}),
            },
          }),
        );
        if (options.quiet && !out.json) {
          streams.stdout.write(`${data.id}\n`);
          return;
        }
        out.result(data, () =>
          [releaseAfter(data, 'Created'), paint.dim(`\nnext: shipgate releases show ${data.id}`)].join('\n'),
        );
      },
    );

  group
    .command('list')
    .description('releases, newest first')
    .addOption(new Option('--status <status>', 'only releases of this status').choices(RELEASE_STATUSES))
    .option('--limit <n>', 'at most this many (1-100)', wholeNumber(), 20)
    .option('--cursor <cursor>', 'continue a listing where the previous page ended')
    .action(async (options: { status?: ReleaseStatus; limit: number; cursor?: string }) => {
      const { api, out } = context();
      const { data } = await unwrap(
        api.GET('/releases', {
          params: {
            query: {
              limit: options.limit,
              ...(options.status ? { status: options.status } : {}),
              ...(options.cursor ? { cursor: options.cursor } : {}),
            },
          },
        }),
      );
      out.result(data, () =>
        [renderReleaseList(data.items), ...(data.cursor ? [paint.dim(`more: --cursor ${data.cursor}`)] : [])].join(
          '\n',
        ),
      );
    });

  group
    .command('show')
    .description('a release: its phases, the current checklist, and exactly what it waits for')
    .argument('<release>', 'the release id')
    .action(async (releaseId: string) => {
      const { api, out } = context();
      const view = await loadRelease(api, releaseId);
      const deadlines = out.json ? undefined : await gateDeadlines(api, view);
      out.result(view, () => renderRelease(view, { gateDeadlines: deadlines }));
    });

  group
    .command('cancel')
    .description('cancel a release before production deployment starts (a release in production is rolled back)')
    .argument('<release>', 'the release id')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .action(async (releaseId: string, options: { reason: string }) => {
      const { api, out } = context();
      const { data } = await unwrap(
        api.POST('/releases/{releaseId}/cancel', {
          params: { path: { releaseId } },
          body: { reason: options.reason },
        }),
      );
      out.result(data, () => releaseAfter(data, 'Cancelled'));
    });

  group
    .command('resume')
    .description('hand the release to a new workflow execution that continues where it stands')
    .argument('<release>', 'the release id')
    .action(async (releaseId: string) => {
      const { api, out } = context();
      const { data } = await unwrap(api.POST('/releases/{releaseId}/resume', { params: { path: { releaseId } } }));
      out.result(data, () => releaseAfter(data, 'Resumed'));
    });
}

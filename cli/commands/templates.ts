// `shipgate templates`: list, show, import (a Markdown checklist or a template document) and export templates.
import type { Command } from 'commander';
import { unwrap } from '../client.ts';
import type { CliContext } from '../context.ts';
import { renderImport, renderTemplate, renderTemplateList } from '../render/templates.ts';
import { type InputStreams, readSource, wholeNumber } from './input.ts';

/** Whether a document to import is JSON (a template document) rather than a Markdown checklist. */
export function isJsonDocument(source: string, text: string): boolean {
  if (/\.json$/i.test(source)) return true;
  if (/\.(md|markdown|txt)$/i.test(source)) return false;
  return text.trimStart().startsWith('{');
}

async function showTemplate(context: CliContext, id: string, version: number | undefined) {
  const { api } = context;
  if (version === undefined) {
    return (await unwrap(api.GET('/templates/{templateId}', { params: { path: { templateId: id } } }))).data;
  }
  return (
    await unwrap(
      api.GET('/templates/{templateId}/versions/{version}', { params: { path: { templateId: id, version } } }),
    )
  ).data;
}

export function templates(program: Command, context: () => CliContext): void {
  const group = program.command('templates').description('list, show, import and export release checklist templates');

  group
    .command('list')
    .description('the latest version of every template (built-in and imported)')
    .action(async () => {
      const { api, out } = context();
      const { data } = await unwrap(api.GET('/templates'));
      out.result(data, () => renderTemplateList(data));
    });

  group
    .command('show')
    .description("a template's phases, sections, gates, steps and windows")
    .argument('<id>', 'the template id, e.g. toolboxai-v1')
    .option('--version <n>', 'a version other than the latest', wholeNumber())
    .action(async (id: string, options: { version?: number }) => {
      const ctx = context();
      const data = await showTemplate(ctx, id, options.version);
      ctx.out.result(data, () => renderTemplate(data as Parameters<typeof renderTemplate>[0]));
    });

  group
    .command('import')
    .description('import a Markdown checklist (or a template document as .json) as the next version of a template')
    .argument('<file>', 'a .md checklist or a .json template document; - reads stdin')
    .option('--id <id>', 'the template id (default: the slug of the checklist title)')
    .option('--dry-run', 'show what would be imported, and save nothing')
    .addHelpText(
      'after',
      '\nPrints what was recognised as what (phases, items, gates, windows, triggers) and the warnings to act on.\n' +
        'Examples:\n  shipgate templates import RELEASE.md --id web-release --dry-run\n' +
        '  cat RELEASE.md | shipgate templates import - --id web-release',
    )
    .action(async (file: string, options: { id?: string; dryRun?: boolean }) => {
      const { api, out, streams } = context();
      const text = await readSource(streams as InputStreams, file);
      const json = isJsonDocument(file, text);
      const { data } = await unwrap(
        api.POST('/templates', {
          params: {
            query: { ...(options.id ? { id: options.id } : {}), ...(options.dryRun ? { dryRun: 'true' } : {}) },
          },
          body: text,
          // The file goes as it is: the API parses it, and names the line of what it cannot read.
          bodySerializer: (body) => body,
          headers: { 'Content-Type': json ? 'application/json' : 'text/markdown' },
        }),
      );
      out.result(data, () => renderImport(data));
    });

  group
    .command('export')
    .description('print a template as a blank Markdown checklist')
    .argument('<id>', 'the template id')
    .option('--version <n>', 'a version other than the latest', wholeNumber())
    .addHelpText(
      'after',
      '\nExample:\n  shipgate templates export web-release > checklist.md\nWith --json: {"markdown": "…"}.',
    )
    .action(async (id: string, options: { version?: number }) => {
      const { api, out, streams } = context();
      const { data } = await unwrap(
        api.GET('/templates/{templateId}/checklist.md', {
          params: {
            path: { templateId: id },
            query: options.version === undefined ? {} : { version: options.version },
          },
          parseAs: 'text',
        }),
      );
      // Exactly what the API answered, so `> checklist.md` keeps the file byte for byte; --json wraps it.
      if (out.json) out.result({ markdown: data }, () => data);
      else streams.stdout.write(data);
    });
}
